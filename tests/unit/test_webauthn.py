"""Passkey verification (oidc_core/factors/webauthn.py) without AWS: the options we ask browsers for, registration
and assertion responses from a software authenticator (tests/software_authenticator.py) and recorded from real
ones (py_webauthn's own test vectors), and each rule: exact origin, RP ID, challenge, the counter (WebAuthn §6.1.1),
user verification for passwordless sign-in, the user handle, and the backup flags (Level 3 §6.1.3)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from oidc_core.factors import webauthn
from oidc_core.factors.webauthn import PasskeyRejected, RelyingParty
from oidc_core.store.passkeys import Passkey
from software_authenticator import SoftwareAuthenticator, b64url, from_b64url

RP = RelyingParty(id="login.example.com", name="Example", origin="https://login.example.com")
SUB = "user-1"


def _registered(authenticator: SoftwareAuthenticator) -> Passkey:
    handle = webauthn.new_user_handle()
    options, challenge = webauthn.registration_options(RP, user_handle=handle, user_name="alice",
                                                       display_name="Alice", existing=[])
    return webauthn.verify_registration(RP, authenticator.create(options), challenge=challenge, sub=SUB,
                                        user_handle=handle, now=1000)


def _authenticator(**flags) -> SoftwareAuthenticator:
    return SoftwareAuthenticator(rp_id=RP.id, origin=RP.origin, **flags)


def _assert(authenticator, passkey, *, passwordless=False, **get):
    options, challenge = webauthn.authentication_options(RP, None if passwordless else [passkey])
    return webauthn.verify_assertion(RP, authenticator.get(options, **get), challenge=challenge, passkey=passkey,
                                     passwordless=passwordless)


def test_registration_asks_for_a_discoverable_credential_and_no_attestation():
    existing = _registered(_authenticator())
    options, challenge = webauthn.registration_options(RP, user_handle=b"h" * 32, user_name="alice",
                                                       display_name="Alice", existing=[existing])
    parsed = json.loads(options)
    assert parsed["rp"] == {"id": "login.example.com", "name": "Example"}
    assert from_b64url(parsed["challenge"]) == challenge and len(challenge) >= 16  # §13.4.3: at least 16 bytes
    assert from_b64url(parsed["user"]["id"]) == b"h" * 32
    assert parsed["authenticatorSelection"]["residentKey"] == "required"
    assert parsed["attestation"] == "none"
    assert [item["id"] for item in parsed["excludeCredentials"]] == [existing.credential_id]
    assert {item["alg"] for item in parsed["pubKeyCredParams"]} >= {-7, -257}


def test_passwordless_options_require_user_verification_and_name_no_credential():
    parsed = json.loads(webauthn.authentication_options(RP, None)[0])
    assert parsed["userVerification"] == "required" and parsed["allowCredentials"] == []
    assert parsed["rpId"] == RP.id


def test_a_registration_gives_the_credential_with_its_counter_flags_and_transports():
    authenticator = _authenticator(sign_count=5, backup_eligible=True, backed_up=True)
    passkey = _registered(authenticator)
    assert from_b64url(passkey.credential_id) == authenticator.credential_id
    assert (passkey.sign_count, passkey.backup_eligible, passkey.backup_state) == (5, True, True)
    assert passkey.transports == ("internal", "hybrid")
    assert passkey.user_verified and passkey.sub == SUB and passkey.created_at == 1000
    assert passkey.aaguid == "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize("origin", ["https://login.example.com:443", "https://evil.example.com", "http://login.example.com",
                                    "https://login.example.com/", "https://login.example.com.evil.test"])
def test_a_registration_from_another_origin_is_refused(origin):
    handle = webauthn.new_user_handle()
    options, challenge = webauthn.registration_options(RP, user_handle=handle, user_name="a", display_name="a",
                                                       existing=[])
    with pytest.raises(PasskeyRejected):
        webauthn.verify_registration(RP, _authenticator().create(options, origin=origin), challenge=challenge,
                                     sub=SUB, user_handle=handle)


def test_a_registration_for_another_rp_id_or_challenge_is_refused():
    handle = webauthn.new_user_handle()
    options, challenge = webauthn.registration_options(RP, user_handle=handle, user_name="a", display_name="a",
                                                       existing=[])
    other_rp = SoftwareAuthenticator(rp_id="example.org", origin=RP.origin)
    with pytest.raises(PasskeyRejected):
        webauthn.verify_registration(RP, other_rp.create(options), challenge=challenge, sub=SUB, user_handle=handle)
    with pytest.raises(PasskeyRejected):
        webauthn.verify_registration(RP, _authenticator().create(options), challenge=b"x" * 32, sub=SUB,
                                     user_handle=handle)


@pytest.mark.parametrize("garbage", ["", "{}", "not json", {"id": "x"}, {"id": "AA", "rawId": "AA", "response": {}}])
def test_garbage_is_a_rejection_not_a_crash(garbage):
    passkey = _registered(_authenticator())
    with pytest.raises(PasskeyRejected):
        webauthn.verify_registration(RP, garbage, challenge=b"c" * 32, sub=SUB, user_handle=b"h" * 32)
    with pytest.raises(PasskeyRejected):
        webauthn.verify_assertion(RP, garbage, challenge=b"c" * 32, passkey=passkey, passwordless=False)


def test_an_assertion_verifies_and_moves_the_counter_on():
    authenticator = _authenticator(sign_count=7)
    passkey = _registered(authenticator)
    assertion = _assert(authenticator, passkey)
    assert assertion.new_sign_count == 8


def test_a_counter_that_did_not_grow_is_refused():
    authenticator = _authenticator(sign_count=7)
    passkey = _registered(authenticator)
    _assert(authenticator, passkey)
    with pytest.raises(PasskeyRejected):  # a clone answering with the count the store already holds
        _assert(authenticator, replace(passkey, sign_count=8), count_up=False)
    with pytest.raises(PasskeyRejected):  # or with an older one
        _assert(authenticator, replace(passkey, sign_count=20))


def test_an_authenticator_without_a_counter_keeps_zero():
    authenticator = _authenticator(sign_count=0)
    passkey = _registered(authenticator)
    assert _assert(authenticator, passkey, count_up=False).new_sign_count == 0


def test_passwordless_sign_in_requires_user_verification():
    authenticator = _authenticator(user_verifying=False)
    passkey = _registered(authenticator)
    assert _assert(authenticator, passkey).user_verified is False  # enough as a second factor
    with pytest.raises(PasskeyRejected):
        _assert(authenticator, passkey, passwordless=True)
    authenticator.user_verifying = True
    assert _assert(authenticator, passkey, passwordless=True).user_verified


def test_passwordless_sign_in_needs_the_owners_user_handle():
    authenticator = _authenticator()
    passkey = _registered(authenticator)
    with pytest.raises(PasskeyRejected):
        _assert(authenticator, passkey, passwordless=True, with_user_handle=False)
    authenticator.user_handle = b"someone else's handle"
    with pytest.raises(PasskeyRejected):
        _assert(authenticator, passkey, passwordless=True)
    with pytest.raises(PasskeyRejected):  # a handle that is present must be the owner's in either use
        _assert(authenticator, passkey)


def test_backup_eligibility_cannot_change_but_backup_state_can():
    authenticator = _authenticator(backup_eligible=True, backed_up=False)
    passkey = _registered(authenticator)
    authenticator.backed_up = True
    assert _assert(authenticator, passkey).backup_state is True
    authenticator.backup_eligible, authenticator.backed_up = False, False
    with pytest.raises(PasskeyRejected):
        _assert(authenticator, passkey)


def test_backed_up_without_being_eligible_is_refused():
    authenticator = _authenticator()
    passkey = _registered(authenticator)
    authenticator.backed_up = True
    with pytest.raises(PasskeyRejected):
        _assert(authenticator, passkey)


def test_an_assertion_of_another_credential_or_key_is_refused():
    authenticator = _authenticator()
    passkey = _registered(authenticator)
    other = _authenticator()
    _registered(other)
    with pytest.raises(PasskeyRejected):  # another credential altogether
        _assert(other, passkey)
    other.credential_id, other.user_handle = authenticator.credential_id, authenticator.user_handle
    with pytest.raises(PasskeyRejected):  # the right credential id, signed by another key
        _assert(other, passkey)


def test_an_assertion_for_another_challenge_origin_or_rp_id_is_refused():
    authenticator = _authenticator()
    passkey = _registered(authenticator)
    options, _ = webauthn.authentication_options(RP, [passkey])
    with pytest.raises(PasskeyRejected):
        webauthn.verify_assertion(RP, authenticator.get(options), challenge=b"other" * 8, passkey=passkey,
                                  passwordless=False)
    options, challenge = webauthn.authentication_options(RP, [passkey])
    with pytest.raises(PasskeyRejected):
        webauthn.verify_assertion(RP, authenticator.get(options, origin="https://login.example.com:8443"),
                                  challenge=challenge, passkey=passkey, passwordless=False)
    authenticator.rp_id = "example.org"  # signed for another RP ID: its hash in the authenticator data differs
    options, challenge = webauthn.authentication_options(RP, [passkey])
    with pytest.raises(PasskeyRejected):
        webauthn.verify_assertion(RP, authenticator.get(options), challenge=challenge, passkey=passkey,
                                  passwordless=False)


# Assertions recorded from real authenticators, from py_webauthn's tests (tests/test_verify_authentication_response.py):
# an ES256 security key without user verification, counter 77 -> 78; an RS256 Windows Hello key with user verification
# and a user handle, counter 0 -> 1. RP ID localhost, origin http://localhost:5000.
RECORDED_RP = RelyingParty(id="localhost", name="py_webauthn", origin="http://localhost:5000")
ES256_ASSERTION = {
    "id": "EDx9FfAbp4obx6oll2oC4-CZuDidRVV4gZhxC529ytlnqHyqCStDUwfNdm1SNHAe3X5KvueWQdAX3x9R1a2b9Q",
    "rawId": "EDx9FfAbp4obx6oll2oC4-CZuDidRVV4gZhxC529ytlnqHyqCStDUwfNdm1SNHAe3X5KvueWQdAX3x9R1a2b9Q",
    "response": {
        "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MBAAAATg",
        "clientDataJSON": "eyJjaGFsbGVuZ2UiOiJ4aTMwR1BHQUZZUnhWRHBZMXNNMTBEYUx6VlFHNjZudi1fN1JVYXpIMHZJMll2RzhMWWdERW52"
                          "TjVmWlpOVnV2RUR1TWk5dGUzVkxxYjQyTjBma0xHQSIsImNsaWVudEV4dGVuc2lvbnMiOnt9LCJoYXNoQWxnb3Jp"
                          "dGhtIjoiU0hBLTI1NiIsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6NTAwMCIsInR5cGUiOiJ3ZWJhdXRobi5n"
                          "ZXQifQ",
        "signature": "MEUCIGisVZOBapCWbnJJvjelIzwpixxIwkjCCb5aCHafQu68AiEA88v-2pJNNApPFwAKFiNuf82-2hBxYW5kGwVweeoxCwo",
    },
    "type": "public-key", "clientExtensionResults": {},
}
ES256_CHALLENGE = "xi30GPGAFYRxVDpY1sM10DaLzVQG66nv-_7RUazH0vI2YvG8LYgDEnvN5fZZNVuvEDuMi9te3VLqb42N0fkLGA"
ES256_KEY = "pQECAyYgASFYIIeDTe-gN8A-zQclHoRnGFWN8ehM1b7yAsa8I8KIvmplIlgg4nFGT5px8o6gpPZZhO01wdy9crDSA_Ngtkx0vGpvPHI"
RS256_ASSERTION = {
    "id": "ZoIKP1JQvKdrYj1bTUPJ2eTUsbLeFkv-X5xJQNr4k6s",
    "rawId": "ZoIKP1JQvKdrYj1bTUPJ2eTUsbLeFkv-X5xJQNr4k6s",
    "response": {
        "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
        "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiaVBtQWkxUHAxWEw2b0FncTNQV1p0WlBuWmExekZVRG9H"
                          "YmFRMF9LdlZHMWxGMnMzUnRfM280dVN6Y2N5MHRtY1RJcFRUVDRCVTFULUk0bWFhdm5kalEiLCJvcmlnaW4iOiJo"
                          "dHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
        "signature": "iOHKX3erU5_OYP_r_9HLZ-CexCE4bQRrxM8WmuoKTDdhAnZSeTP0sjECjvjfeS8MJzN1ArmvV0H0C3yy_FdRFfcpUPZzdZ7bBcmPh1XPd"
                     "xRwY747OrIzcTLTFQUPdn1U-izCZtP_78VGw9pCpdMsv4CUzZdJbEcRtQuRS03qUjqDaovoJhOqEBmxJn9Wu8tBi_Qx7A33RbYjlf"
                     "yLm_EDqimzDZhyietyop6XUcpKarKqVH0M6mMrM5zTjp8xf3W7odFCadXEJg-ERZqFM0-9Uup6kJNLbr6C5J4NDYmSm3HCSA6lp2i"
                     "EiMPKU8Ii7QZ61kybXLxsX4w4Dm3fOLjmDw",
        "userHandle": "T1RWa1l6VXdPRFV0WW1NNVlTMDBOVEkxTFRnd056Z3RabVZpWVdZNFpEVm1ZMk5p",
    },
    "type": "public-key", "clientExtensionResults": {},
}
RS256_CHALLENGE = "iPmAi1Pp1XL6oAgq3PWZtZPnZa1zFUDoGbaQ0_KvVG1lF2s3Rt_3o4uSzccy0tmcTIpTTT4BU1T-I4maavndjQ"
RS256_KEY = (
    "pAEDAzkBACBZAQDfV20epzvQP-HtcdDpX-cGzdOxy73WQEvsU7Dnr9UWJophEfpngouvgnRLXaEUn_d8HGkp_HIx8rrpkx4BVs6X_B6ZjhLlezjIdJbLbVeb92Ba"
    "EsmNn1HW2N9Xj2QM8cH-yx28_vCjf82ahQ9gyAr552Bn96G22n8jqFRQKdVpO-f-bvpvaP3IQ9F5LCX7CUaxptgbog1SFO6FI6ob5SlVVB00lVXsaYg8cIDZxCk"
    "kENkGiFPgwEaZ7995SCbiyCpUJbMqToLMgojPkAhWeyktu7TlK6UBWdJMHc3FPAIs0lH_2_2hKS-mGI1uZAFVAfW1X-mzKL0czUm2P1UlUox7IUMBAAE")


def _recorded_passkey(assertion: dict, key: str, sign_count: int, user_handle: bytes = b"") -> Passkey:
    return Passkey(credential_id=assertion["id"], sub=SUB, user_handle=user_handle, public_key=from_b64url(key),
                   sign_count=sign_count, backup_eligible=False, backup_state=False)


def test_a_recorded_security_key_assertion_verifies_as_a_second_factor():
    passkey = _recorded_passkey(ES256_ASSERTION, ES256_KEY, 77)
    assertion = webauthn.verify_assertion(RECORDED_RP, ES256_ASSERTION, challenge=from_b64url(ES256_CHALLENGE),
                                          passkey=passkey, passwordless=False)
    assert (assertion.new_sign_count, assertion.user_verified) == (78, False)
    with pytest.raises(PasskeyRejected):  # no user verification: not a passwordless sign-in
        webauthn.verify_assertion(RECORDED_RP, ES256_ASSERTION, challenge=from_b64url(ES256_CHALLENGE),
                                  passkey=passkey, passwordless=True)
    with pytest.raises(PasskeyRejected):  # the store already holds 78: a replayed or cloned answer
        webauthn.verify_assertion(RECORDED_RP, ES256_ASSERTION, challenge=from_b64url(ES256_CHALLENGE),
                                  passkey=replace(passkey, sign_count=78), passwordless=False)


def test_a_recorded_windows_hello_assertion_signs_in_without_a_password():
    handle = from_b64url(RS256_ASSERTION["response"]["userHandle"])
    passkey = _recorded_passkey(RS256_ASSERTION, RS256_KEY, 0, user_handle=handle)
    assertion = webauthn.verify_assertion(RECORDED_RP, RS256_ASSERTION, challenge=from_b64url(RS256_CHALLENGE),
                                          passkey=passkey, passwordless=True)
    assert (assertion.new_sign_count, assertion.user_verified) == (1, True)
    with pytest.raises(PasskeyRejected):  # the same answer for a passkey of another user handle
        webauthn.verify_assertion(RECORDED_RP, RS256_ASSERTION, challenge=from_b64url(RS256_CHALLENGE),
                                  passkey=replace(passkey, user_handle=b"other"), passwordless=True)


def test_b64url_helpers_round_trip():
    assert from_b64url(b64url(b"\xff\x00abc")) == b"\xff\x00abc"


# A registration recorded from a real security key (attestation "none", counter 23), from py_webauthn's tests
# (tests/test_verify_registration_response.py).
RECORDED_REGISTRATION = {
    "id": "9y1xA8Tmg1FEmT-c7_fvWZ_uoTuoih3OvR45_oAK-cwHWhAbXrl2q62iLVTjiyEZ7O7n-CROOY494k7Q3xrs_w",
    "rawId": "9y1xA8Tmg1FEmT-c7_fvWZ_uoTuoih3OvR45_oAK-cwHWhAbXrl2q62iLVTjiyEZ7O7n-CROOY494k7Q3xrs_w",
    "response": {
        "attestationObject": "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjESZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAFwAAAAAA"
                             "AAAAAAAAAAAAAAAAQPctcQPE5oNRRJk_nO_371mf7qE7qIodzr0eOf6ACvnMB1oQG165dqutoi1U44shGezu5_gkTjm"
                             "OPeJO0N8a7P-lAQIDJiABIVggSFbUJF-42Ug3pdM8rDRFu_N5oiVEysPDB6n66r_7dZAiWCDUVnB39FlGypL-qAoIO9"
                             "xWHtJygo2jfDmHl-_eKFRLDA",
        "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiVHdON240V1R5R0tMYzRaWS1xR3NGcUtuSE00bmds"
                          "cXN5VjBJQ0psTjJUTzlYaVJ5RnRya2FEd1V2c3FsLWdrTEpYUDZmbkYxTWxyWjUzTW00UjdDdnciLCJvcmlnaW4iOiJo"
                          "dHRwOi8vbG9jYWxob3N0OjUwMDAiLCJjcm9zc09yaWdpbiI6ZmFsc2V9",
    },
    "type": "public-key", "clientExtensionResults": {},
}
RECORDED_REGISTRATION_CHALLENGE = "TwN7n4WTyGKLc4ZY-qGsFqKnHM4nglqsyV0ICJlN2TO9XiRyFtrkaDwUvsql-gkLJXP6fnF1MlrZ53Mm4R7Cvw"


def test_a_recorded_security_key_registration_gives_its_credential():
    passkey = webauthn.verify_registration(RECORDED_RP, RECORDED_REGISTRATION,
                                           challenge=from_b64url(RECORDED_REGISTRATION_CHALLENGE), sub=SUB,
                                           user_handle=b"h" * 32)
    assert passkey.credential_id == RECORDED_REGISTRATION["id"]
    assert passkey.public_key == from_b64url(
        "pQECAyYgASFYIEhW1CRfuNlIN6XTPKw0RbvzeaIlRMrDwwep-uq_-3WQIlgg1FZwd_RZRsqS_qgKCDvcVh7ScoKNo3w5h5fv3ihUSww")
    assert (passkey.sign_count, passkey.backup_eligible, passkey.backup_state) == (23, False, False)
    with pytest.raises(PasskeyRejected):  # the same response at an origin that is not exactly the page's
        webauthn.verify_registration(replace(RECORDED_RP, origin="http://localhost:5001"), RECORDED_REGISTRATION,
                                     challenge=from_b64url(RECORDED_REGISTRATION_CHALLENGE), sub=SUB,
                                     user_handle=b"h" * 32)


@pytest.mark.parametrize(("rp_id", "origin"), [
    ("localhost", "http://localhost:3000"), ("example.com", "https://login.example.com"),
    ("login.example.com", "https://login.example.com:8443")])
def test_a_relying_party_is_a_domain_its_pages_are_under(rp_id, origin):
    assert RelyingParty(id=rp_id, name="x", origin=origin).id == rp_id


@pytest.mark.parametrize(("rp_id", "origin"), [
    ("127.0.0.1", "https://127.0.0.1:3000"),  # an IP address cannot be an RP ID: why make dev serves localhost too
    ("::1", "https://[::1]:3000"),
    ("127.0.0.1", "http://127.0.0.1:3000"),
    ("", "https://login.example.com"),
    ("example.com", "https://login.example.org"),  # the pages are not under the RP ID
    ("example.com", "https://notexample.com"),
    ("example.com", "http://login.example.com"),  # not a secure context
    ("example.com", "https://login.example.com/"),  # an origin has no path
    ("example.com", "https://login.example.com/oidc")])
def test_a_relying_party_webauthn_would_refuse_is_refused_at_once(rp_id, origin):
    with pytest.raises(ValueError):
        RelyingParty(id=rp_id, name="x", origin=origin)
