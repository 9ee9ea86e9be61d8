"""Passwords encrypted by the JavaScript libraries that browser clients built for Authing use must decrypt.

The ciphertexts come from tests/interop/encrypt.mjs (JSEncrypt 3.5.4, node-forge, sm-crypto 0.3.x, pinned in
package-lock.json). CI runs `npm ci` in tests/interop first; without node_modules these tests fail, unless
SKIP_INTEROP=1 says to skip them.
"""

import base64
import random

import pytest
from cryptography.hazmat.primitives.asymmetric import padding

from oidc_core.keys.jwk import generate_rsa_private_key_pem
from oidc_core.passwords.decryption import DecryptionFailed, rsa, sm2


PASSWORDS = [
    "a",
    "hunter2",
    "P@ssw0rd! with spaces",
    "pässwörd",
    "пароль",
    "密码123",
    "パスワード",
    "😀",
    "密码😀",
    "𠀀",  # CJK Extension B, outside the BMP
    "𠀀𪚥𰻞 rare",
    "👩‍💻",  # emoji ZWJ sequence
]


def random_passwords(count: int, seed: int) -> list[str]:
    """Short passwords mixing ASCII, Latin-1, Cyrillic, CJK, emoji and CJK Extension B.

    At most 16 characters: JSEncrypt checks the length in UTF-16 units, not bytes, and CESU-8 spends 6 bytes
    on a character outside the BMP, so longer ones could overflow RSA-1024's 117 bytes.
    """
    pools = [(0x21, 0x7E), (0xA1, 0xFF), (0x410, 0x44F), (0x4E00, 0x9FFF), (0x1F600, 0x1F64F), (0x20000, 0x2A6DF)]
    rng = random.Random(seed)
    passwords = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(1, 16)):
            low, high = rng.choice(pools)
            chars.append(chr(rng.randint(low, high)))
        passwords.append("".join(chars))
    return passwords


@pytest.fixture(scope="module", params=[2048, 1024], ids=["rsa2048", "rsa1024"])
def rsa_key(request):
    return rsa.load_private_key(generate_rsa_private_key_pem(request.param))


@pytest.fixture(scope="module")
def sm2_key():
    return sm2.generate_private_key()


def outcome(decrypt, *args) -> str:
    try:
        return "ok:" + decrypt(*args)
    except DecryptionFailed as exc:
        return "failed:" + exc.reason


# --- RSA ----------------------------------------------------------------------------------------------------


def test_jsencrypt_pkcs1(node, rsa_key):
    pem = rsa.public_key_pem(rsa_key)
    passwords = PASSWORDS + random_passwords(200, seed=rsa_key.key_size)
    ciphertexts = node([{"type": "rsa", "publicKey": pem, "plaintext": p} for p in passwords])
    for password, ciphertext in zip(passwords, ciphertexts, strict=True):
        assert rsa.decrypt_password(ciphertext, rsa_key, rsa.PKCS1_V15) == password


def test_jsencrypt_sends_cesu8_and_it_decrypts(node, rsa_key):
    """Characters outside the BMP reach the key as CESU-8, not UTF-8 (checked on the raw plaintext)."""
    (ciphertext,) = node([{"type": "rsa", "publicKey": rsa.public_key_pem(rsa_key), "plaintext": "😀"}])
    assert rsa_key.decrypt(base64.b64decode(ciphertext), padding.PKCS1v15()) == bytes.fromhex("eda0bdedb880")
    assert rsa.decrypt_password(ciphertext, rsa_key, rsa.PKCS1_V15) == "😀"


def test_jsencrypt_2x_ciphertexts_shorter_than_the_modulus(node, rsa_key):
    pem = rsa.public_key_pem(rsa_key)
    key_bytes = rsa_key.key_size // 8
    short = PASSWORDS[:4] if rsa_key.key_size == 2048 else PASSWORDS[:10]  # each costs ~200 JS encryptions
    normal = random_passwords(50, seed=3)
    requests = [{"type": "rsa-unpadded", "publicKey": pem, "plaintext": p, "short": True} for p in short]
    requests += [{"type": "rsa-unpadded", "publicKey": pem, "plaintext": p} for p in normal]
    ciphertexts = node(requests)
    for password, ciphertext in zip(short, ciphertexts, strict=False):
        assert len(base64.b64decode(ciphertext)) < key_bytes
        assert rsa.decrypt_password(ciphertext, rsa_key, rsa.PKCS1_V15) == password
    for password, ciphertext in zip(normal, ciphertexts[len(short) :], strict=True):
        assert rsa.decrypt_password(ciphertext, rsa_key, rsa.PKCS1_V15) == password


def test_jsencrypt_3x_left_pads_short_ciphertexts(node, rsa_key):
    (ciphertext,) = node([{"type": "rsa", "publicKey": rsa.public_key_pem(rsa_key), "plaintext": "pw", "short": True}])
    raw = base64.b64decode(ciphertext)
    assert len(raw) == rsa_key.key_size // 8 and raw[0] == 0
    assert rsa.decrypt_password(ciphertext, rsa_key, rsa.PKCS1_V15) == "pw"


def test_node_forge_oaep_sha256(node, rsa_key):
    pem = rsa.public_key_pem(rsa_key)
    passwords = PASSWORDS + random_passwords(30, seed=5)
    ciphertexts = node([{"type": "rsa-oaep", "publicKey": pem, "plaintext": p} for p in passwords])
    for password, ciphertext in zip(passwords, ciphertexts, strict=True):
        assert rsa.decrypt_password(ciphertext, rsa_key, rsa.OAEP_SHA256) == password


def test_jsencrypt_oaep_works_for_ascii_only(node, rsa_key):
    """JSEncrypt's encryptOAEP is SHA-256 OAEP but puts each UTF-16 unit's low byte in the block, not UTF-8:
    ASCII passwords decrypt, others cannot come back right (documented so nobody recommends it)."""
    pem = rsa.public_key_pem(rsa_key)
    passwords = ["hunter2", "P@ssw0rd! with spaces", "pässwörd", "密码"]
    ciphertexts = node([{"type": "rsa-oaep-jsencrypt", "publicKey": pem, "plaintext": p} for p in passwords])
    results = [outcome(rsa.decrypt_password, c, rsa_key, rsa.OAEP_SHA256) for c in ciphertexts]
    assert results[:2] == ["ok:hunter2", "ok:P@ssw0rd! with spaces"]
    assert results[2] == "failed:not_utf8"  # Latin-1 bytes
    assert results[3] != "ok:密码"


def test_rsa_failures_from_real_js_ciphertexts(node, rsa_key):
    other_key = rsa.load_private_key(generate_rsa_private_key_pem(rsa_key.key_size))
    pem = rsa.public_key_pem(rsa_key)
    pkcs1, oaep = node(
        [
            {"type": "rsa", "publicKey": pem, "plaintext": "password"},
            {"type": "rsa-oaep", "publicKey": pem, "plaintext": "password"},
        ]
    )
    # PKCS#1 v1.5 with implicit rejection: a wrong key or a bad block gives garbage or not_utf8, never an error
    # that tells padding apart from the rest.
    assert outcome(rsa.decrypt_password, pkcs1, other_key, rsa.PKCS1_V15) != "ok:password"
    assert outcome(rsa.decrypt_password, oaep, other_key, rsa.OAEP_SHA256) == "failed:decrypt_failed"
    truncated = base64.b64encode(base64.b64decode(pkcs1)[:-1]).decode()
    assert outcome(rsa.decrypt_password, truncated, rsa_key, rsa.PKCS1_V15) != "ok:password"
    truncated = base64.b64encode(base64.b64decode(oaep)[:-1]).decode()
    assert outcome(rsa.decrypt_password, truncated, rsa_key, rsa.OAEP_SHA256) == "failed:decrypt_failed"
    assert outcome(rsa.decrypt_password, pkcs1, rsa_key, rsa.OAEP_SHA256) == "failed:decrypt_failed"


# --- SM2 ----------------------------------------------------------------------------------------------------

SM2_MODES = {1: sm2.C1C3C2, 0: sm2.C1C2C3}


@pytest.mark.parametrize("cipher_mode", [1, 0])
def test_sm_crypto(node, sm2_key, cipher_mode):
    mode = SM2_MODES[cipher_mode]
    passwords = PASSWORDS + random_passwords(20, seed=cipher_mode)
    requests = [
        {"type": "sm2", "publicKey": sm2_key.public_key_hex, "plaintext": p, "cipherMode": cipher_mode}
        for p in passwords
    ]
    ciphertexts = node(requests)
    for password, ciphertext in zip(passwords, ciphertexts, strict=True):
        # sm-crypto's form: lowercase hex, C1 without 04, C2 as long as the UTF-8 password.
        assert ciphertext == ciphertext.lower()
        assert len(ciphertext) == 2 * (64 + 32 + len(password.encode("utf-8")))
        assert sm2.decrypt_password(ciphertext, sm2_key, mode) == password
    # The other forms clients send, on a few of them (each decryption costs a scalar multiplication).
    for password, ciphertext in list(zip(passwords, ciphertexts, strict=True))[:6]:
        for variant in ("04" + ciphertext, "sm2:" + ciphertext, "SM2:04" + ciphertext.upper()):
            assert sm2.decrypt_password(variant, sm2_key, mode) == password


def test_sm_crypto_default_mode_is_c1c3c2(node, sm2_key):
    (ciphertext,) = node([{"type": "sm2", "publicKey": sm2_key.public_key_hex, "plaintext": "pw"}])
    assert sm2.decrypt_password(ciphertext, sm2_key) == "pw"


def test_sm2_failures_from_real_js_ciphertexts(node, sm2_key):
    other_key = sm2.generate_private_key()
    c1c3c2, c1c2c3 = node(
        [
            {"type": "sm2", "publicKey": sm2_key.public_key_hex, "plaintext": "password", "cipherMode": 1},
            {"type": "sm2", "publicKey": sm2_key.public_key_hex, "plaintext": "password", "cipherMode": 0},
        ]
    )

    def reason(ciphertext, key=sm2_key, mode=sm2.C1C3C2):
        return outcome(sm2.decrypt_password, ciphertext, key, mode)

    def flip(hex_text, byte_index):
        data = bytearray.fromhex(hex_text)
        data[byte_index] ^= 0x80
        return data.hex()

    assert reason(flip(c1c3c2, 64)) == "failed:c3_mismatch"  # C3
    assert reason(flip(c1c2c3, 64 + 32 + 7), mode=sm2.C1C2C3) == "failed:c3_mismatch"  # last byte: C3
    assert reason(flip(c1c3c2, 64 + 32)) == "failed:c3_mismatch"  # C2
    assert reason(c1c3c2, key=other_key) == "failed:c3_mismatch"
    assert reason(c1c3c2[:-2]) == "failed:c3_mismatch"
    assert reason(c1c3c2[: 2 * 96]) == "failed:bad_length"
    assert reason(c1c3c2[:-1]) == "failed:bad_hex"
    assert reason(c1c3c2, mode=sm2.C1C2C3) == "failed:c3_mismatch"
    assert reason(flip(c1c3c2, 10)) == "failed:not_on_curve"
