"""Imported password hashes (oidc_core/passwords/imported.py), each made the way its source makes it, checked against
published test vectors where the algorithm has them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace

import bcrypt
import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2d, Argon2i, Argon2id

from oidc_core.config import OWASP_MINIMUM_ARGON2, Argon2Parameters, load_settings
from oidc_core.passwords import hashing, imported

SETTINGS = load_settings({"ISSUER": "https://auth.example.com/oidc"})  # the OWASP minimum, a ceiling of 4 ×


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _accepts(stored: str, right: str, wrong: str = "not the password") -> None:
    imported.check_importable(stored, SETTINGS)
    assert imported.verify_foreign(right, stored, SETTINGS)
    assert not imported.verify_foreign(wrong, stored, SETTINGS)


# bcrypt, hashed by the bcrypt package as Auth0, Node's bcrypt and PHP's password_hash make them.

@pytest.mark.parametrize("prefix", [b"2a", b"2b"])
def test_bcrypt_as_the_bcrypt_package_makes_it(prefix):
    stored = bcrypt.hashpw("pässwörd".encode(), bcrypt.gensalt(rounds=4, prefix=prefix)).decode()
    _accepts(stored, "pässwörd")
    assert imported.algorithm_of(stored) == "bcrypt"


def test_bcrypt_2y_from_php():
    # PHP writes $2y$ for the same algorithm as $2b$.
    stored = "$2y$" + bcrypt.hashpw(b"secret-php", bcrypt.gensalt(rounds=4)).decode()[4:]
    _accepts(stored, "secret-php")


def test_bcrypt_uses_the_first_72_bytes_as_the_originating_libraries_did():
    long_password = "p" * 72 + "anything after the 72nd byte"
    stored = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    assert imported.verify_foreign(long_password, stored, SETTINGS)
    assert imported.verify_foreign("p" * 72 + "something else", stored, SETTINGS)
    assert not imported.verify_foreign("p" * 71, stored, SETTINGS)


def test_bcrypt_cost_above_16_is_refused_and_never_verified():
    stored = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode().replace("$04$", "$17$", 1)
    with pytest.raises(imported.UnusableHash, match="cost 17"):
        imported.check_importable(stored, SETTINGS)
    assert not imported.verify_foreign("pw", stored, SETTINGS)


# PBKDF2: RFC 6070's vector, Keycloak's provider, Auth0's PHC form.

def test_pbkdf2_sha1_rfc_6070_vector():
    stored = imported.pbkdf2("sha1", 4096, b"salt", bytes.fromhex("4b007901b765489abead49d926f721d065a429c1"))
    _accepts(stored, "password")


def test_pbkdf2_in_auth0s_phc_form_of_a_published_example():
    # An Auth0 bulk-import value converted from Gigya (password Test@123), as published with its source.
    _accepts("$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA", "Test@123")


@pytest.mark.parametrize("digest, key_bits", [("sha256", 512), ("sha512", 512), ("sha1", 512)])
def test_pbkdf2_as_keycloaks_provider_computes_it(digest, key_bits):
    # Keycloak's Pbkdf2PasswordHashProvider: PBEKeySpec(password, salt, iterations, 512 bits) through
    # SecretKeyFactory PBKDF2WithHmacSHA…, stored base64 with the salt in secretData.
    salt, iterations = b"\x8a" * 16, 27500
    derived = hashlib.pbkdf2_hmac(digest, "Pässword1".encode(), salt, iterations, key_bits // 8)
    _accepts(imported.pbkdf2(digest, iterations, salt, derived), "Pässword1")


# Issue 23 point 10: one ceiling bounds the real work (2^cost, iterations × output blocks, N·r·p), admitting what real
# exports hold and refusing what no real system uses. The strings are built, not computed: _check reads parameters.

def _bcrypt_string(cost: int) -> str:
    return f"$2b${cost:02d}$" + "a" * 53


REAL_EXPORTS = {
    "bcrypt 10 (Auth0)": _bcrypt_string(10),
    "bcrypt 12": _bcrypt_string(12),
    "Keycloak PBKDF2-SHA512 at 210,000": imported.pbkdf2("sha512", 210_000, b"s" * 16, b"\0" * 64),
    "Keycloak PBKDF2-SHA256 at 27,500, 512-bit key": imported.pbkdf2("sha256", 27_500, b"s" * 16, b"\0" * 64),
    "OWASP PBKDF2-SHA256 at 600,000": imported.pbkdf2("sha256", 600_000, b"s" * 16, b"\0" * 32),
    "Firebase scrypt (r=8, mem cost 14)": imported.firebase_scrypt(8, 14, b"s" * 16, b"\x07", b"k" * 64, b"h" * 64),
    "scrypt N=2^14, r=8, p=1": imported.scrypt(2 ** 14, 8, 1, b"s" * 16, b"\0" * 32),
}
BEYOND_ANY_REAL_SYSTEM = {
    "bcrypt 13": _bcrypt_string(13),
    "bcrypt 16": _bcrypt_string(16),
    # ten million iterations of a 256-byte key: 13 SHA-1 blocks, each its own ten million iterations (about 32 s)
    "PBKDF2-SHA1 i=10,000,000, l=256": imported.pbkdf2("sha1", 10_000_000, b"s" * 16, b"\0" * 256),
    "PBKDF2-SHA1 i=200,000, l=256": imported.pbkdf2("sha1", 200_000, b"s" * 16, b"\0" * 256),
    "PBKDF2-SHA256 i=10,000,000": imported.pbkdf2("sha256", 10_000_000, b"s" * 16, b"\0" * 32),
    "scrypt N=2^14, r=8, p=16": imported.scrypt(2 ** 14, 8, 16, b"s" * 16, b"\0" * 32),
}


@pytest.mark.parametrize("stored", REAL_EXPORTS.values(), ids=REAL_EXPORTS)
def test_the_work_ceiling_admits_what_real_exports_hold(stored):
    imported.check_importable(stored, SETTINGS)
    assert imported.usable(stored, SETTINGS)


@pytest.mark.parametrize("stored", BEYOND_ANY_REAL_SYSTEM.values(), ids=BEYOND_ANY_REAL_SYSTEM)
def test_the_work_ceiling_refuses_what_no_real_system_uses(stored):
    with pytest.raises(imported.UnusableHash, match="work ceiling"):
        imported.check_importable(stored, SETTINGS)
    assert not imported.usable(stored, SETTINGS)


def test_the_ceiling_is_below_the_functions_timeout():
    from oidc_core.config import WORK_CEILING_MS
    from oidc_tools import template

    timeout = template.load()["Globals"]["Function"]["Timeout"]
    assert WORK_CEILING_MS < timeout * 1000 / 10  # with room for the floor, the round trips and a slow core


def test_pbkdf2_key_length_must_match_the_hash():
    stored = imported.pbkdf2("sha256", 1000, b"salt", b"\0" * 32).replace("l=32", "l=64")
    with pytest.raises(imported.UnusableHash, match="key length"):
        imported.check_importable(stored, SETTINGS)


# scrypt: RFC 7914 §12's vector; Firebase's modified scrypt with the vector from firebase/scrypt's README.

def test_scrypt_rfc_7914_vector():
    derived = bytes.fromhex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff10927"
                            "9d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    _accepts(imported.scrypt(1024, 8, 16, b"NaCl", derived), "password")


def test_firebase_scrypt_published_vector():
    stored = imported.firebase_scrypt(
        rounds=8, memory_cost=14, salt=_b64("42xEC+ixf3L2lw=="), separator=_b64("Bw=="),
        signer_key=_b64("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="),
        derived=_b64("lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="))
    _accepts(stored, "user1password")
    assert imported.algorithm_of(stored) == "firebase-scrypt"


def test_scrypt_memory_above_the_ceiling_is_refused_and_never_computed():
    small = replace(SETTINGS, argon2=Argon2Parameters(memory_kib=1024, iterations=2, lanes=1))  # ceiling 4 MiB
    n, r = 2 ** 13, 8  # 8 MiB
    derived = hashlib.scrypt(b"right", salt=b"salt", n=n, r=r, p=1, dklen=32, maxmem=2 ** 26)
    stored = imported.scrypt(n, r, 1, b"salt", derived)
    with pytest.raises(imported.UnusableHash, match="above the ceiling"):
        imported.check_importable(stored, small)
    assert not imported.verify_foreign("right", stored, small)
    assert imported.verify_foreign("right", stored, SETTINGS)  # within the default ceiling it is the right hash


# Argon2 variants, as the PHC reference implementation encodes them.

@pytest.mark.parametrize("kdf", [Argon2id, Argon2i, Argon2d])
def test_argon2_variants(kdf):
    stored = kdf(salt=b"somesaltsomesalt", length=32, iterations=2, lanes=1, memory_cost=1024).derive_phc_encoded(
        b"argon2 password")
    _accepts(stored, "argon2 password")


def test_argon2_memory_above_the_ceiling_is_refused_and_never_verified():
    ceiling = imported.cost_ceiling(SETTINGS)
    assert ceiling.memory_kib == 4 * SETTINGS.argon2.memory_kib
    stored = imported.argon2("argon2i", ceiling.memory_kib + 8, 1, 1, b"s" * 16, b"h" * 32)
    with pytest.raises(imported.UnusableHash, match="above the ceiling"):
        imported.check_importable(stored, SETTINGS)


# Plain and salted digests, HMAC and LDAP values, with the published vectors of each digest.

@pytest.mark.parametrize("digest, password, hex_value", [
    ("md5", "password", "5f4dcc3b5aa765d61d8327deb882cf99"),
    ("md4", "message digest", "d9130a8164549fe818874806e1c7014b"),  # RFC 1320 A.5
    ("sha1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),  # FIPS 180
    ("sha256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("sha512", "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
                      "454d4423643ce80e2a9ac94fa54ca49f"),
])
def test_unsalted_digest_vectors(digest, password, hex_value):
    _accepts(imported.salted_digest(digest, bytes.fromhex(hex_value)), password)


@pytest.mark.parametrize("position", ["prefix", "suffix"])
@pytest.mark.parametrize("encoding", ["utf8", "utf16le", "latin1"])
def test_salted_digest_by_position_and_password_encoding(position, encoding):
    password, salt = "pässwörd", b"\x01salt\xff"
    data = password.encode({"utf8": "utf-8", "utf16le": "utf-16-le", "latin1": "latin-1"}[encoding])
    derived = hashlib.sha256(salt + data if position == "prefix" else data + salt).digest()
    _accepts(imported.salted_digest("sha256", derived, salt, position, encoding), password)


def test_hmac_sha256_rfc_4231_vector():
    derived = bytes.fromhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    _accepts(imported.hmac_digest("sha256", b"Jefe", derived), "what do ya want for nothing?")


def test_hmac_md4_with_a_salt():
    from Cryptodome.Hash import HMAC, MD4

    derived = HMAC.new(b"key", b"salt" + "pw".encode(), digestmod=MD4).digest()
    _accepts(imported.hmac_digest("md4", b"key", derived, b"salt", "prefix"), "pw")


def test_ldap_ssha_as_slappasswd_makes_it():
    salt = b"\x10\x20\x30\x40"
    value = "{SSHA}" + base64.b64encode(hashlib.sha1(b"secret" + salt).digest() + salt).decode()
    _accepts(imported.from_ldap(value), "secret")
    _accepts(imported.from_ldap("{SHA}" + base64.b64encode(hashlib.sha1(b"secret").digest()).decode()), "secret")
    with pytest.raises(imported.UnusableHash):
        imported.from_ldap("{CRYPT}abcdefgh")


# The grammar and the login's timing.

@pytest.mark.parametrize("stored", [
    "", "plain", "$md5$pos=prefix,enc=utf8$$" + "A" * 10, "$sha1$pos=middle,enc=utf8$$" + imported.b64encode(b"x" * 20),
    "$whirlpool$pos=prefix,enc=utf8$$AAAA", "$2x$10$" + "a" * 53, "$pbkdf2-md5$i=1,l=16$AAAA$" + "A" * 22,
    "$scrypt$n=1000,r=8,p=1,l=32$AAAA$" + imported.b64encode(b"x" * 32), "$argon2id$v=16$m=1024,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAA",
    "$md5$pos=prefix,enc=utf8$not*base64$AAAA",
])
def test_strings_outside_the_grammar_are_refused_and_never_match(stored):
    with pytest.raises(imported.UnusableHash):
        imported.check_importable(stored, SETTINGS)
    assert not imported.verify("anything", stored, SETTINGS)


def test_refusal_reasons_never_contain_the_hash():
    stored = imported.pbkdf2("sha256", 10_000_001, b"salt", b"secret-looking-hash-bytes-32byte")
    with pytest.raises(imported.UnusableHash) as refused:
        imported.check_importable(stored, SETTINGS)
    assert stored.split("$")[-1] not in str(refused.value)


@pytest.fixture
def dummy_checks(monkeypatch):
    """Counts the dummy Argon2id verifications (the real ones run: this only watches)."""
    calls = []
    real = hashing.verify_against_dummy

    def watched(password, parameters):
        calls.append(parameters)
        real(password, parameters)

    monkeypatch.setattr(hashing, "verify_against_dummy", watched)
    return calls


def test_a_failed_imported_check_also_does_the_dummy_argon2id_work(dummy_checks):
    stored = imported.salted_digest("md5", hashlib.md5(b"right").digest())
    assert not imported.verify("wrong", stored, SETTINGS)
    assert dummy_checks == [OWASP_MINIMUM_ARGON2]
    assert imported.verify("right", stored, SETTINGS)  # a success is rehashed to Argon2id instead
    assert len(dummy_checks) == 1


@pytest.mark.parametrize("stored", ["", "garbage"])
def test_a_user_without_a_readable_hash_costs_a_dummy_check_too(dummy_checks, stored):
    assert not imported.verify("anything", stored, SETTINGS)
    assert len(dummy_checks) == 1


def test_native_argon2id_is_verified_as_before(dummy_checks):
    stored = hashing.hash_password("native", OWASP_MINIMUM_ARGON2)
    assert imported.verify("native", stored, SETTINGS)
    assert not imported.verify("other", stored, SETTINGS)
    assert dummy_checks == []
    assert imported.algorithm_of(stored) == "argon2id"


def test_every_foreign_comparison_is_constant_time(monkeypatch):
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    for stored in (imported.salted_digest("sha1", hashlib.sha1(b"x").digest()),
                   imported.hmac_digest("sha256", b"k", hmac.new(b"k", b"x", "sha256").digest()),
                   imported.pbkdf2("sha1", 1, b"salt", hashlib.pbkdf2_hmac("sha1", b"x", b"salt", 1, 20))):
        before = len(compared)
        assert imported.verify_foreign("x", stored, SETTINGS)
        assert len(compared) == before + 1


# Issue 23 point 12: `^…$` with .match let a trailing newline through; the whole string must match.

@pytest.mark.parametrize("stored", [
    REAL_EXPORTS["bcrypt 12"],
    imported.argon2("argon2i", 1024, 2, 1, b"s" * 16, b"h" * 32),
    REAL_EXPORTS["Keycloak PBKDF2-SHA512 at 210,000"],
    hashing.hash_password("native", OWASP_MINIMUM_ARGON2),
], ids=["bcrypt", "argon2i", "phc", "native-argon2id"])
def test_a_trailing_newline_makes_a_stored_hash_unreadable(stored):
    assert imported.usable(stored, SETTINGS)
    assert not imported.usable(stored + "\n", SETTINGS)
    assert imported.algorithm_of(stored + "\n") == "unreadable"
