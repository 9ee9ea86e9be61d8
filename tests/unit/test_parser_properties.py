"""Property tests of every parser that reads client input: the token request body, the HTTP Basic header, scopes,
login identifiers, password ciphertexts, refresh tokens and bearer tokens.

The property is the same everywhere: whatever arrives, the parser returns its result or raises the one exception the
endpoint turns into a client error (OAuthError 4xx, DecryptionFailed, InvalidToken, None); any other exception would be
a 500. Where a parser has an inverse (urlencode, Basic, minting), what goes in comes back out.

Hypothesis runs derandomized (the same examples on every run and machine), with a bounded number of examples per test
and no deadline, so a slow machine never fails a test.
"""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import quote_plus, urlencode

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from oidc_core.keys import keyring
from oidc_core.login import client_auth
from oidc_core.store import refresh_tokens
from oidc_core.tokens import scopes
from oidc_core.tokens.access_tokens import InvalidToken, verified_claims
from oidc_core.login.client_auth import PresentedCredentials, presented_credentials
from oidc_core.config import load_settings
from oidc_core.errors import OAuthError
from oidc_core.store.identifiers import LOGIN_IDENTIFIER_KINDS, MAX_IDENTIFIER_LENGTH, normalise
from oidc_core.keys.jwk import generate_rsa_private_key_pem, public_signing_jwk
from oidc_core.passwords.decryption import DecryptionFailed
from oidc_core.passwords.decryption import rsa as rsa_passwords
from oidc_core.passwords.decryption import sm2 as sm2_passwords
from oidc_core.parameters import ParameterRequest, parse_parameters
from oidc_core.endpoints.userinfo import bearer_token
from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

# Deterministic and bounded; no example database, so a run leaves nothing behind and never replays another machine's.
PROPERTIES = settings(max_examples=300, derandomize=True, deadline=None, database=None, print_blob=False,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
EXPENSIVE = settings(PROPERTIES, max_examples=150)  # pure-Python SM2 and RSA signing per example

FORM = "application/x-www-form-urlencoded"
PARAMETER_NAMES = ("grant_type", "client_id", "client_secret", "username", "email", "phone", "password",
                   "password_encrypt_type", "scope", "refresh_token", "token", "token_type_hint", "access_token")

# -- text that hurts parsers -----------------------------------------------------------------------------------------

_HOSTILE = ["\x00", "\r\n", "\t", " ", "%", "%%", "%0", "%FF", "%ED%A0%80", "+", "&", "=", ";", ":", "\\", '"', "'",
            "\u2028", "\ufeff", "\u0130", "\uff11", "\u0661", "😀", "\ud800", "\udfff", "é", "ß", "=" * 3]
hostile_char = st.one_of(st.characters(), st.characters(categories=["Cs"]),
                         st.sampled_from([piece for piece in _HOSTILE if len(piece) == 1]))
hostile_text = st.one_of(
    st.text(hostile_char, max_size=60),
    st.lists(st.sampled_from(_HOSTILE), max_size=12).map("".join),
    st.text(st.characters(codec="ascii"), max_size=60),
)
# Unicode text that UTF-8 can carry (no lone surrogates): what a well-formed request can contain.
valid_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def is_valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def outcome(function, *args, **kwargs):
    """function's result, or the OAuthError it raised (any other exception fails the test)."""
    try:
        return function(*args, **kwargs)
    except OAuthError as error:
        return error


# -- the token request body (RFC 6749 §3.2: form or JSON, plain or base64) ------------------------------------------


def form_encode(pairs: list[tuple[str, str]]) -> str:
    """application/x-www-form-urlencoded, carrying lone surrogates as the (invalid) UTF-8 a sloppy client would send."""
    return "&".join(quote_plus(name.encode("utf-8", "surrogatepass")) + "=" + quote_plus(value.encode("utf-8", "surrogatepass"))
                    for name, value in pairs)


def json_object(pairs: list[tuple[str, object]]) -> str:
    """A JSON object from pairs, so a name may repeat; ensure_ascii escapes a lone surrogate as \\udXXX."""
    return "{" + ",".join(f"{json.dumps(name)}:{json.dumps(value)}" for name, value in pairs) + "}"


names = st.one_of(st.sampled_from(PARAMETER_NAMES), hostile_text)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                 st.dictionaries(hostile_text, inner, max_size=4)),
                           max_leaves=10)

content_types = st.one_of(
    st.none(),
    st.sampled_from([FORM, f"{FORM}; charset=UTF-8", "APPLICATION/X-WWW-FORM-URLENCODED", "", " ", "application/json",
                     "application/json; charset=utf-8", "Application/JSON ;", "text/plain", "multipart/form-data; boundary=x",
                     "application/jwt", "application/x-www-form-urlencoded, application/json", ";", "*/*"]),
    hostile_text,
)

bodies = st.one_of(
    st.none(),
    hostile_text,
    st.text(hostile_char, max_size=400),
    st.lists(st.tuples(names, hostile_text), max_size=12).map(form_encode),
    st.lists(st.tuples(names, st.one_of(hostile_text, json_values)), max_size=8).map(json_object),
    json_values.map(json.dumps),
    st.integers(1, 3000).map(lambda depth: "[" * depth),
    st.integers(1, 3000).map(lambda depth: '{"a":' * depth),
    st.just("&".join(f"p{n}=1" for n in range(101))),  # one field over parse_qsl's limit
)


@PROPERTIES
@given(body=bodies, content_type=content_types, as_base64=st.booleans(), raw_base64=st.booleans(),
       authorization=st.one_of(st.none(), hostile_text))
@example(body="a=" + "x" * 70_000, content_type=FORM, as_base64=True, raw_base64=False, authorization=None)
@example(body="x" * 140_000, content_type=FORM, as_base64=False, raw_base64=False, authorization=None)
def test_any_body_is_a_parameter_request_or_a_400(body, content_type, as_base64, raw_base64, authorization):
    if as_base64 and body is not None and not raw_base64:
        body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode("ascii")  # as API Gateway sends bytes
    result = outcome(parse_parameters, body, content_type=content_type, is_base64_encoded=as_base64,
                     authorization=authorization)
    if isinstance(result, OAuthError):
        assert result.status_code == 400 and result.error == "invalid_request"
        assert isinstance(result.description, str) and len(result.description) < 200
        event(result.description.split(":")[0])
        return
    event("parsed")
    assert isinstance(result, ParameterRequest) and result.authorization == authorization
    for name, value in result.parameters.items():
        assert isinstance(name, str) and isinstance(value, str)
        assert is_valid_unicode(name) and is_valid_unicode(value), "a parameter DynamoDB cannot store got through"


@PROPERTIES
@given(base64_bytes=st.binary(max_size=2000), content_type=content_types)
def test_any_base64_bytes_are_a_parameter_request_or_a_400(base64_bytes, content_type):
    body = base64.b64encode(base64_bytes).decode("ascii")
    result = outcome(parse_parameters, body, content_type=content_type, is_base64_encoded=True, authorization=None)
    assert isinstance(result, ParameterRequest) or (result.status_code, result.error) == (400, "invalid_request")


form_parameters = st.dictionaries(st.one_of(st.sampled_from(PARAMETER_NAMES), valid_text), valid_text, max_size=20)


@PROPERTIES
@given(parameters=form_parameters, as_base64=st.booleans(),
       content_type=st.sampled_from([FORM, f"{FORM}; charset=UTF-8", "Application/X-WWW-Form-Urlencoded", "", None]))
def test_an_urlencoded_form_parses_back_to_its_parameters(parameters, as_base64, content_type):
    body = urlencode(parameters)
    if as_base64:
        body = base64.b64encode(body.encode("ascii")).decode("ascii")
    request = parse_parameters(body, content_type=content_type, is_base64_encoded=as_base64, authorization=None)
    assert request.parameters == parameters


@PROPERTIES
@given(parameters=form_parameters, as_base64=st.booleans())
def test_a_json_object_parses_back_to_its_parameters(parameters, as_base64):
    body = json.dumps(parameters, ensure_ascii=as_base64)
    if as_base64:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    request = parse_parameters(body, content_type="application/json", is_base64_encoded=as_base64, authorization=None)
    assert request.parameters == parameters


@PROPERTIES
@given(parameters=form_parameters, repeated=st.one_of(st.sampled_from(PARAMETER_NAMES), valid_text),
       values=st.tuples(valid_text, valid_text), position=st.integers(0, 20), as_json=st.booleans())
def test_a_repeated_parameter_is_invalid_request(parameters, repeated, values, position, as_json):
    pairs = [(name, value) for name, value in parameters.items() if name != repeated]
    pairs.insert(min(position, len(pairs)), (repeated, values[0]))
    pairs.append((repeated, values[1]))
    body = json_object(pairs) if as_json else urlencode(pairs)
    with pytest.raises(OAuthError) as raised:
        parse_parameters(body, content_type="application/json" if as_json else FORM, is_base64_encoded=False,
                            authorization=None)
    assert (raised.value.status_code, raised.value.error) == (400, "invalid_request")
    assert "more than once" in raised.value.description


# -- client authentication: HTTP Basic (RFC 6749 §2.3.1) and client_secret_post ------------------------------------

schemes = st.sampled_from(["Basic", "basic", "BASIC", "Bearer", "Digest", "Basic:", "", "Basicx", " Basic"])
basic_payloads = st.one_of(
    hostile_text,
    st.binary(max_size=200).map(lambda raw: base64.b64encode(raw).decode("ascii")),
    st.tuples(hostile_text, hostile_text).map(
        lambda pair: base64.b64encode(f"{pair[0]}:{pair[1]}".encode("utf-8", "surrogatepass")).decode("ascii")),
    st.tuples(valid_text, valid_text).map(
        lambda pair: base64.b64encode(f"{quote_plus(pair[0])}:{quote_plus(pair[1])}".encode()).decode("ascii")),
)
authorization_headers = st.one_of(
    hostile_text,
    st.tuples(schemes, st.sampled_from([" ", "  ", "\t", " \t "]), basic_payloads, st.sampled_from(["", " ", "\n", "=="]))
    .map("".join),
)


@PROPERTIES
@given(authorization=authorization_headers)
@example(authorization="Basic")
@example(authorization="Basic ")
@example(authorization="Basic " + base64.b64encode(b"\xff:\xfe").decode())
@example(authorization="Basic " + base64.b64encode(b"no-colon").decode())
@example(authorization="Basic " + base64.b64encode(b"%ED%A0%80:%ED%A0%80").decode())
def test_any_authorization_header_is_credentials_none_or_invalid_client(authorization):
    scheme = authorization.strip().partition(" ")[0]
    result = outcome(client_auth._basic_credentials, authorization)
    if scheme.lower() != "basic":
        assert result is None
    elif isinstance(result, OAuthError):
        assert (result.status_code, result.error) == (401, "invalid_client")
        assert result.headers["WWW-Authenticate"].startswith("Basic ")
    else:
        client_id, secret = result
        assert isinstance(client_id, str) and isinstance(secret, str)
        # They become a DynamoDB key and an Argon2 input: they must be valid Unicode whatever the header held.
        assert is_valid_unicode(client_id) and is_valid_unicode(secret)


@PROPERTIES
@given(client_id=valid_text, secret=valid_text, scheme=st.sampled_from(["Basic", "basic", "BASIC"]),
       padding=st.sampled_from(["", " ", "  "]))
def test_basic_round_trip_of_form_url_encoded_id_and_secret(client_id, secret, scheme, padding):
    encoded = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode("ascii")).decode("ascii")
    assert client_auth._basic_credentials(f"{padding}{scheme} {encoded}{padding}") == (client_id, secret)


@PROPERTIES
@given(client_id=st.text(st.characters(exclude_categories=["Cs"], exclude_characters=":%+"), max_size=40),
       secret=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="%+"), max_size=40))
def test_basic_round_trip_of_an_id_and_secret_sent_without_url_encoding(client_id, secret):
    """What most clients do (curl -u, requests' HTTPBasicAuth): raw id:secret, no form-url-encoding."""
    encoded = base64.b64encode(f"{client_id}:{secret}".encode("utf-8")).decode("ascii")
    assert client_auth._basic_credentials(f"Basic {encoded}") == (client_id, secret)


@PROPERTIES
@given(authorization=st.one_of(st.none(), authorization_headers),
       body=st.dictionaries(st.sampled_from(["client_id", "client_secret", "grant_type"]), valid_text, max_size=3))
def test_presented_credentials_are_credentials_or_a_400_or_401(authorization, body):
    result = outcome(presented_credentials, ParameterRequest(parameters=body, authorization=authorization))
    if isinstance(result, OAuthError):
        assert (result.status_code, result.error) in ((400, "invalid_request"), (401, "invalid_client"))
        return
    assert isinstance(result, PresentedCredentials)
    if not result.basic:
        assert (result.client_id, result.secret) == (body.get("client_id") or None, body.get("client_secret") or None)


# -- scopes (RFC 6749 §3.3) ------------------------------------------------------------------------------------------

scope_token = st.from_regex(r"\A[\x21\x23-\x5b\x5d-\x7e]{1,20}\Z")
scope_parameters = st.one_of(
    st.none(), hostile_text,
    st.lists(st.one_of(scope_token, st.sampled_from(scopes.KNOWN_SCOPES), hostile_text), max_size=8).map(" ".join),
)
allowed_scopes = st.frozensets(st.one_of(st.sampled_from(scopes.KNOWN_SCOPES), st.sampled_from(["demo:read", "a:b"]),
                                         scope_token), max_size=10)


@PROPERTIES
@given(scope=scope_parameters)
def test_parse_scope_is_a_list_of_scope_tokens_or_invalid_scope(scope):
    result = outcome(scopes.parse_scope, scope)
    if isinstance(result, OAuthError):
        assert (result.status_code, result.error) == (400, "invalid_scope")
        return
    assert isinstance(result, list) and len(result) == len(set(result))
    assert all(isinstance(token, str) and re.fullmatch(r"[\x21\x23-\x5b\x5d-\x7e]+", token) for token in result)
    assert result == list(dict.fromkeys(token for token in (scope or "").split(" ") if token))


@PROPERTIES
@given(tokens=st.lists(scope_token, max_size=10), separators=st.lists(st.sampled_from([" ", "  ", "   "]), min_size=11,
                                                                          max_size=11))
def test_space_separated_scope_tokens_parse_back(tokens, separators):
    text = separators[0] + "".join(token + separator for token, separator in zip(tokens, separators[1:], strict=False))
    assert scopes.parse_scope(text) == list(dict.fromkeys(tokens))


@PROPERTIES
@given(scope=scope_parameters, allowed=allowed_scopes)
def test_requested_scopes_are_allowed_scopes_or_invalid_scope(scope, allowed):
    result = outcome(scopes.requested_scopes, scope, allowed)
    if isinstance(result, OAuthError):
        assert (result.status_code, result.error) == (400, "invalid_scope")
        assert len(result.description) < 120
        return
    assert isinstance(result, list) and result and set(result) <= allowed


# -- login identifiers -----------------------------------------------------------------------------------------------

country_codes = st.sampled_from(["+86", "+1", "+44", "+998"])
phone_like = st.lists(st.one_of(st.sampled_from(list("0123456789+ -().")), st.sampled_from(["00", "+86", "\u3000"]),
                                st.characters(categories=["Nd"]), hostile_char), max_size=22).map("".join)
# Characters Unicode normalisation and case folding change: compatibility forms, ligatures, spacing diacritics
# (NFKC turns U+00A8 into a space and a combining mark), the dotted capital I (two characters when folded), spaces.
_FOLDING = "\u00a8\u00b4\u02d8\u309b\u1fbd\u0130\u00df\u1e9e\ufb01\u2126\u212b\u216b\uff21\uff41\u3000\u00a0 \t"
folding_text = st.text(st.one_of(st.sampled_from(_FOLDING), st.sampled_from("aZ@.-_1")), max_size=30)
identifier_text = st.one_of(hostile_text, phone_like, folding_text, st.text(max_size=MAX_IDENTIFIER_LENGTH + 5))


@PROPERTIES
@given(kind=st.sampled_from(LOGIN_IDENTIFIER_KINDS), value=identifier_text, country_code=country_codes)
@example(kind="username", value="\u0130" * MAX_IDENTIFIER_LENGTH, country_code="+86")
@example(kind="email", value="\u0130" * 200 + "@example.com", country_code="+86")
def test_normalise_never_raises_and_is_bounded(kind, value, country_code):
    identifier = normalise(kind, value, country_code)
    assert identifier.kind == kind and isinstance(identifier.value, str)
    # The bound holds for the normal form, which may be longer than the text sent ('İ' folds to two characters).
    assert identifier.value == "" or len(identifier.value) <= MAX_IDENTIFIER_LENGTH
    assert is_valid_unicode(identifier.value)


@PROPERTIES
@given(value=phone_like, country_code=country_codes)
def test_normalising_a_normalised_phone_number_changes_nothing(value, country_code):
    normalised = normalise("phone", value, country_code).value
    assert normalise("phone", normalised, country_code).value == normalised


@PROPERTIES
@given(kind=st.sampled_from(("username", "email")), value=identifier_text)
@example(kind="username", value="\u00a8abc")
def test_normalising_a_normalised_username_or_email_changes_nothing(kind, value):
    normalised = normalise(kind, value, "+86").value
    assert normalise(kind, normalised, "+86").value == normalised


@PROPERTIES
@given(value=phone_like, country_code=country_codes)
@example(value="\uff11\uff13\uff18\uff10\uff10\uff11\uff13\uff18\uff10\uff10\uff10", country_code="+86")
@example(value="+86\u0661\u0663\u0668\u0660\u0660\u0661\u0663\u0668\u0660\u0660\u0660", country_code="+86")
def test_a_normalised_phone_number_is_ascii_e164_or_nothing(value, country_code):
    """Only ASCII digits: fullwidth or Arabic-Indic digits would let one number be written two ways by two users."""
    normalised = normalise("phone", value, country_code).value
    assert normalised == "" or re.fullmatch(r"\+[1-9][0-9]{6,14}", normalised, flags=re.ASCII)


# -- password ciphertexts (password_encrypt_type rsa and sm2) -------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key():
    return rsa_passwords.load_private_key(generate_rsa_private_key_pem(2048))


@pytest.fixture(scope="module")
def sm2_key():
    return sm2_passwords.generate_private_key()


def decrypted_or_failed(decrypt, *args):
    try:
        return decrypt(*args)
    except DecryptionFailed as failed:
        assert failed.reason in {"bad_base64", "bad_hex", "bad_length", "not_on_curve", "c3_mismatch", "decrypt_failed",
                                 "not_utf8"}
        assert str(failed) == failed.reason and failed.__context__ is None and failed.__cause__ is None
        return failed


def urlsafe(text: str) -> str:
    return text.translate(str.maketrans("+/", "-_"))


rsa_ciphertexts = st.one_of(
    hostile_text,
    st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode("ascii")),
    st.binary(min_size=250, max_size=257).map(lambda raw: base64.b64encode(raw).decode("ascii")),
    st.binary(min_size=250, max_size=257).map(lambda raw: urlsafe(base64.b64encode(raw).decode("ascii")).rstrip("=")),
)


@EXPENSIVE
@given(ciphertext=rsa_ciphertexts, padding=st.sampled_from([rsa_passwords.PKCS1_V15, rsa_passwords.OAEP_SHA256]))
def test_any_rsa_ciphertext_is_a_password_or_decryption_failed(rsa_key, ciphertext, padding):
    result = decrypted_or_failed(rsa_passwords.decrypt_password, ciphertext, rsa_key, padding)
    assert isinstance(result, (str, DecryptionFailed))
    event(result.reason if isinstance(result, DecryptionFailed) else "decrypted")
    if isinstance(result, str):
        assert is_valid_unicode(result)


@EXPENSIVE
@given(password=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60),
       oaep=st.booleans(), mangle=st.sampled_from(["", "urlsafe", "whitespace"]))
def test_an_rsa_encrypted_password_decrypts_back(rsa_key, password, oaep, mangle):
    ciphertext = rsa_encrypt(password, rsa_key.public_key(), oaep=oaep)
    ciphertext = {"": ciphertext, "urlsafe": urlsafe(ciphertext).rstrip("="), "whitespace": f" {ciphertext}\n"}[mangle]
    padding = rsa_passwords.OAEP_SHA256 if oaep else rsa_passwords.PKCS1_V15
    assert rsa_passwords.decrypt_password(ciphertext, rsa_key, padding) == password


@EXPENSIVE
@given(plaintext=st.binary(min_size=1, max_size=40), oaep=st.booleans(), flip=st.integers(0, 255))
def test_rsa_ciphertexts_of_any_bytes_or_with_a_flipped_byte_never_raise_anything_else(rsa_key, plaintext, oaep, flip):
    scheme = (asym_padding.OAEP(mgf=asym_padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
              if oaep else asym_padding.PKCS1v15())
    raw = bytearray(rsa_key.public_key().encrypt(plaintext, scheme))
    padding = rsa_passwords.OAEP_SHA256 if oaep else rsa_passwords.PKCS1_V15
    for candidate in (bytes(raw), bytes(raw[:flip]) + bytes([raw[flip] ^ 1]) + bytes(raw[flip + 1:])):
        result = decrypted_or_failed(rsa_passwords.decrypt_password, base64.b64encode(candidate).decode(), rsa_key, padding)
        assert isinstance(result, (str, DecryptionFailed))


def sm2_point_hex(key) -> str:
    return key.public_key_hex[2:]  # a point on the curve: X||Y


sm2_ciphertexts = st.one_of(
    hostile_text,
    st.binary(max_size=200).map(bytes.hex),
    st.binary(min_size=97, max_size=200).map(lambda raw: raw.hex().upper()),
    st.binary(min_size=97, max_size=200).map(lambda raw: "sm2:" + raw.hex()),
    st.binary(min_size=33, max_size=120).map(lambda raw: "04" + raw.hex()),
    st.text(st.sampled_from("0123456789abcdefABCDEF \n:"), max_size=300),
)


@EXPENSIVE
@given(ciphertext=sm2_ciphertexts, mode=st.sampled_from([sm2_passwords.C1C3C2, sm2_passwords.C1C2C3]),
       point_prefix=st.sampled_from(["", "04"]), use_point=st.booleans())
def test_any_sm2_ciphertext_is_a_password_or_decryption_failed(sm2_key, ciphertext, mode, point_prefix, use_point):
    if use_point:  # a real curve point as C1, so the check reaches the key exchange and C3
        ciphertext = point_prefix + sm2_point_hex(sm2_key) + ciphertext
    result = decrypted_or_failed(sm2_passwords.decrypt_password, ciphertext, sm2_key, mode)
    assert isinstance(result, (str, DecryptionFailed))
    event(result.reason if isinstance(result, DecryptionFailed) else "decrypted")


@EXPENSIVE
@given(plaintext=st.binary(min_size=1, max_size=40), mode=st.sampled_from([sm2_passwords.C1C3C2, sm2_passwords.C1C2C3]),
       flip=st.integers(0, 300), marker=st.booleans())
def test_sm2_ciphertexts_of_any_bytes_or_with_a_flipped_byte_never_raise_anything_else(sm2_key, plaintext, mode, flip,
                                                                                        marker):
    ciphertext = ("04" if marker else "") + sm2_encrypt(plaintext, sm2_key.public_key_hex, mode)
    result = decrypted_or_failed(sm2_passwords.decrypt_password, ciphertext, sm2_key, mode)
    try:
        assert result == plaintext.decode("utf-8")
    except UnicodeDecodeError:
        assert isinstance(result, (str, DecryptionFailed))  # CESU-8 is a password too; other bytes are not
    data = bytearray.fromhex(ciphertext)
    data[flip % len(data)] ^= 0x01
    assert isinstance(decrypted_or_failed(sm2_passwords.decrypt_password, data.hex(), sm2_key, mode), DecryptionFailed)


@EXPENSIVE
@given(password=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40),
       mode=st.sampled_from([sm2_passwords.C1C3C2, sm2_passwords.C1C2C3]))
def test_an_sm2_encrypted_password_decrypts_back(sm2_key, password, mode):
    ciphertext = sm2_encrypt(password.encode("utf-8"), sm2_key.public_key_hex, mode)
    assert sm2_passwords.decrypt_password(ciphertext, sm2_key, mode) == password


# -- refresh tokens --------------------------------------------------------------------------------------------------

refresh_token_texts = st.one_of(
    st.none(), hostile_text,
    st.binary(max_size=400).map(lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")),
    st.binary(min_size=48, max_size=120).map(lambda raw: base64.urlsafe_b64encode(b"\x01" + raw).decode("ascii")),
    st.text(st.sampled_from("ABCabc012-_=+/"), max_size=600),
)


@PROPERTIES
@given(token=refresh_token_texts)
def test_any_text_is_a_presented_refresh_token_or_none(token):
    presented = refresh_tokens.parse(token)
    if presented is None:
        return
    assert isinstance(presented, refresh_tokens.PresentedToken)
    assert re.fullmatch(r"[0-9a-f]{32}", presented.family_id)
    assert presented.sub and is_valid_unicode(presented.sub)
    assert re.fullmatch(r"[0-9a-f]{64}", presented.digest)


@PROPERTIES
@given(family=st.binary(min_size=16, max_size=16), sub=st.text(st.characters(exclude_categories=["Cs"]), min_size=1,
                                                                max_size=80))
def test_a_minted_refresh_token_parses_back(family, sub):
    token = refresh_tokens._mint(family.hex(), sub)
    presented = refresh_tokens.parse(token)
    assert presented is not None
    assert (presented.family_id, presented.sub) == (family.hex(), sub)
    assert presented.matches(refresh_tokens._digest(token))


# -- bearer tokens (RFC 6750 §2) -------------------------------------------------------------------------------------

bearer_headers = st.one_of(
    st.none(), hostile_text,
    st.tuples(st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Bearer:", "", "DPoP"]),
              st.sampled_from(["", " ", "  ", "\t"]), hostile_text).map("".join),
)
token_parameters = st.one_of(st.none(), st.just(""), hostile_text)


@PROPERTIES
@given(authorization=bearer_headers, query_token=token_parameters, form_token=token_parameters)
def test_bearer_token_is_a_token_or_a_400_or_401(authorization, query_token, form_token):
    result = outcome(bearer_token, authorization, query_token, form_token)
    if isinstance(result, OAuthError):
        assert result.status_code in (400, 401) and result.error in ("invalid_request", "invalid_token")
        assert result.headers["WWW-Authenticate"].startswith("Bearer realm=")
        return
    assert isinstance(result, str) and result
    scheme, space, value = (authorization or "").strip().partition(" ")
    header_token = (value.strip() if space else scheme) or None  # no scheme: Authing's bare token
    assert result in (header_token, query_token, form_token)
    assert len({token for token in (header_token, query_token, form_token) if token is not None}) == 1


ISSUER = "https://issuer.test/oidc"


@pytest.fixture(scope="module")
def signing():
    """A test RSA key published as the service's JWKS (keyring.published_jwks patched for this module), and another key."""
    private = rsa_passwords.load_private_key(generate_rsa_private_key_pem(2048))
    other = rsa_passwords.load_private_key(generate_rsa_private_key_pem(2048))
    jwk = public_signing_jwk(private)
    patch = pytest.MonkeyPatch()
    patch.setattr(keyring, "published_jwks", lambda settings: {"keys": [jwk]})
    yield {"key": private, "other": other, "kid": jwk["kid"],
           "settings": load_settings({"ISSUER": ISSUER, "PUBLIC_KEYS_SECRET_ID": "unused"})}
    patch.undo()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed(signing_input: str, key) -> str:
    return b64url(key.sign(signing_input.encode("ascii"), asym_padding.PKCS1v15(), hashes.SHA256()))


NOW = int(time.time())
claim_values = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), hostile_text,
                         st.integers(NOW - 100_000, NOW + 100_000), st.just(ISSUER), st.lists(st.integers(), max_size=2),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
claims = st.dictionaries(st.sampled_from(["iss", "sub", "aud", "iat", "exp", "nbf", "jti", "client_id", "scope"]),
                         claim_values, max_size=9)
header_values = st.one_of(st.sampled_from(["RS256", "at+jwt", "JWT", "none", "HS256"]), claim_values)
headers = st.dictionaries(st.sampled_from(["alg", "typ", "kid", "crit", "b64", "jku", "x5u", "cty"]), header_values,
                          max_size=6)


def json_bytes(value, raw: bytes | None) -> bytes:
    return raw if raw is not None else json.dumps(value).encode("utf-8", "surrogatepass")


raw_json = st.one_of(st.none(), st.binary(max_size=40), st.integers(1, 3000).map(lambda depth: b"[" * depth),
                     st.sampled_from([b"[]", b"null", b'"x"', b"1e999", b'{"exp": Infinity}', b'{"exp": NaN}',
                                      b'{"a":1,"a":2}', b"{" + b'"a":{' * 2000]))


@PROPERTIES
@given(token=st.one_of(st.none(), hostile_text, st.text(st.sampled_from("ABCxyz012-_."), max_size=200)),
       token_type=st.sampled_from(["at+jwt", "JWT"]), verify_exp=st.booleans())
def test_any_text_is_claims_or_invalid_token(signing, token, token_type, verify_exp):
    try:
        result = verified_claims(token, signing["settings"], token_type=token_type, verify_exp=verify_exp)
    except InvalidToken:
        return
    pytest.fail(f"text that is no token verified: {result!r}")


@EXPENSIVE
@given(header=headers, header_raw=raw_json, payload=claims, payload_raw=raw_json,
       header_patch=st.fixed_dictionaries({}, optional={"alg": st.just("RS256"), "typ": st.sampled_from(["at+jwt", "JWT"]),
                                                        "kid": st.just("<ours>")}),
       signer=st.sampled_from(["ours", "other", "garbage"]), token_type=st.sampled_from(["at+jwt", "JWT"]),
       verify_exp=st.booleans())
def test_any_jwt_is_claims_or_invalid_token(signing, header, header_raw, payload, payload_raw, header_patch, signer,
                                            token_type, verify_exp):
    """JWT-shaped input, up to tokens validly signed by our key with any claims, any header and any JSON in them."""
    header = {**header, **{name: signing["kid"] if value == "<ours>" else value for name, value in header_patch.items()}}
    signing_input = b64url(json_bytes(header, header_raw)) + "." + b64url(json_bytes(payload, payload_raw))
    signature = {"ours": lambda: signed(signing_input, signing["key"]),
                 "other": lambda: signed(signing_input, signing["other"]), "garbage": lambda: b64url(b"\x00" * 256)}[signer]()
    try:
        result = verified_claims(f"{signing_input}.{signature}", signing["settings"], token_type=token_type,
                                 verify_exp=verify_exp)
    except InvalidToken as invalid:
        event(f"refused: {invalid.reason}")
        return
    assert signer == "ours" and isinstance(result, dict)
    assert result["iss"] == ISSUER and {"sub", "iat", "exp"} <= set(result)


VALID_CLAIMS = {"iss": ISSUER, "sub": "user-1", "aud": "app", "iat": NOW, "exp": NOW + 86400, "jti": "j",
                "client_id": "app", "scope": "openid"}


@EXPENSIVE
@given(overrides=st.dictionaries(st.sampled_from(sorted(VALID_CLAIMS) + ["nbf"]), claim_values, max_size=3),
       removed=st.sets(st.sampled_from(sorted(VALID_CLAIMS)), max_size=2),
       payload_raw=st.one_of(st.none(), st.none(), st.none(), raw_json), token_type=st.sampled_from(["at+jwt", "JWT"]),
       verify_exp=st.booleans(),
       extra_header=st.one_of(st.just({}), st.dictionaries(st.sampled_from(["crit", "b64", "jku", "cty", "zip"]),
                                                           claim_values, max_size=2)))
def test_a_token_our_key_signed_with_any_claims_is_claims_or_invalid_token(signing, overrides, removed, payload_raw,
                                                                           token_type, verify_exp, extra_header):
    """The claim checks run only after the signature verified, so only here does garbage reach them."""
    payload = {name: value for name, value in {**VALID_CLAIMS, **overrides}.items() if name not in removed}
    header = {**extra_header, "alg": "RS256", "typ": token_type, "kid": signing["kid"]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json_bytes(payload, payload_raw))
    token = f"{signing_input}.{signed(signing_input, signing['key'])}"
    try:
        result = verified_claims(token, signing["settings"], token_type=token_type, verify_exp=verify_exp)
    except InvalidToken as invalid:
        event(f"refused: {invalid.reason}")  # --hypothesis-show-statistics shows how far the examples got
        return
    event("verified")
    assert isinstance(result, dict) and result["iss"] == ISSUER and {"sub", "iat", "exp"} <= set(result)


@EXPENSIVE
@given(sub=valid_text, ttl=st.one_of(st.integers(-100_000, 0), st.integers(60, 100_000)),
       token_type=st.sampled_from(["at+jwt", "JWT"]))
def test_a_token_signed_with_the_published_key_verifies_until_it_expires(signing, sub, ttl, token_type):
    now = int(time.time())
    token = jwt.encode({"iss": ISSUER, "sub": sub, "iat": now, "exp": now + ttl}, signing["key"], algorithm="RS256",
                       headers={"kid": signing["kid"], "typ": token_type})
    if ttl > 0:
        assert verified_claims(token, signing["settings"], token_type=token_type)["sub"] == sub
    else:
        with pytest.raises(InvalidToken) as invalid:
            verified_claims(token, signing["settings"], token_type=token_type)
        assert invalid.value.reason == "expired"
    assert verified_claims(token, signing["settings"], token_type=token_type, verify_exp=False)["sub"] == sub
    other_type = "JWT" if token_type == "at+jwt" else "at+jwt"
    with pytest.raises(InvalidToken):
        verified_claims(token, signing["settings"], token_type=other_type, verify_exp=False)
