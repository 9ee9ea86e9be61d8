import base64
import random

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from helpers import decryption_failure
from oidc_core.keys.jwk import generate_rsa_private_key_pem
from oidc_core.passwords.decryption import DecryptionFailed
from oidc_core.passwords.decryption.rsa import (
    OAEP_SHA256,
    PKCS1_V15,
    decrypt_password,
    load_private_key,
    public_key_pem,
)

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
PADDINGS = {PKCS1_V15: padding.PKCS1v15(), OAEP_SHA256: OAEP}


def cesu8(text: str) -> bytes:
    """What JSEncrypt produces: every UTF-16 code unit UTF-8-encoded on its own."""
    units = text.encode("utf-16-le")
    code_units = (int.from_bytes(units[i : i + 2], "little") for i in range(0, len(units), 2))
    return "".join(map(chr, code_units)).encode("utf-8", "surrogatepass")


def encrypt(key, data: bytes, pad: str = PKCS1_V15) -> bytes:
    return key.public_key().encrypt(data, PADDINGS[pad])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def failure(ciphertext: str, key, pad: str = PKCS1_V15) -> str:
    return decryption_failure(decrypt_password, ciphertext, key, pad)


@pytest.fixture(scope="module")
def key2048():
    return load_private_key(generate_rsa_private_key_pem())


@pytest.fixture(scope="module")
def key1024():
    return load_private_key(generate_rsa_private_key_pem(1024))


@pytest.fixture(scope="module")
def other_key():
    return load_private_key(generate_rsa_private_key_pem())


@pytest.fixture(params=["key2048", "key1024"])
def key(request):
    return request.getfixturevalue(request.param)


# --- keys ---------------------------------------------------------------------------------------------------


def test_generated_pem_is_unencrypted_pkcs8_and_loads():
    pem = generate_rsa_private_key_pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert load_private_key(pem).key_size == 2048


def test_generate_honours_bits(key1024):
    assert key1024.key_size == 1024


def test_load_accepts_traditional_pkcs1_pem(key1024):
    pem = key1024.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert load_private_key(pem).private_numbers() == key1024.private_numbers()


def test_public_key_pem_is_subject_public_key_info(key2048):
    pem = public_key_pem(key2048)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert serialization.load_pem_public_key(pem.encode()).public_numbers() == key2048.public_key().public_numbers()


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "not a pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode(),
    ],
    ids=["empty", "not a pem", "not DER", "an EC key"],  # stable ids: the EC key is new in every process
)
def test_load_rejects(pem):
    with pytest.raises(ValueError):
        load_private_key(pem)


def test_load_rejects_password_protected_pem(key1024):
    pem = key1024.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    ).decode()
    with pytest.raises(ValueError):
        load_private_key(pem)


# --- decryption ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pad", [PKCS1_V15, OAEP_SHA256])
@pytest.mark.parametrize("password", ["a", "hunter2", "pässwörd", "密码123", "😀𠀀", "x" * 60])
def test_round_trip(key, pad, password):
    assert decrypt_password(b64(encrypt(key, password.encode(), pad)), key, pad) == password


@pytest.mark.parametrize("password", ["😀", "密码😀", "𠀀", "👩‍💻"])
def test_cesu8_password_as_jsencrypt_sends_it(key2048, password):
    assert decrypt_password(b64(encrypt(key2048, cesu8(password))), key2048, PKCS1_V15) == password


def test_urlsafe_base64(key2048):
    ciphertext = b64(encrypt(key2048, b"pw"))
    while not ("+" in ciphertext and "/" in ciphertext):
        ciphertext = b64(encrypt(key2048, b"pw"))
    urlsafe = ciphertext.replace("+", "-").replace("/", "_")
    assert decrypt_password(urlsafe, key2048, PKCS1_V15) == "pw"


def test_base64_without_padding(key):
    ciphertext = b64(encrypt(key, b"pw"))
    assert ciphertext.endswith("=")
    assert decrypt_password(ciphertext.rstrip("="), key, PKCS1_V15) == "pw"


def test_surrounding_whitespace(key2048):
    assert decrypt_password(f" {b64(encrypt(key2048, b'pw'))}\r\n", key2048, PKCS1_V15) == "pw"


@pytest.mark.parametrize("pad", [PKCS1_V15, OAEP_SHA256])
def test_ciphertext_shorter_than_the_modulus(key, pad):
    """JSEncrypt 2.x drops leading zero bytes; about 1 ciphertext in 200 starts with one."""
    for _ in range(20_000):
        raw = encrypt(key, b"short one", pad)
        if raw[0] == 0:
            break
    assert raw[0] == 0
    assert decrypt_password(b64(raw.lstrip(b"\x00")), key, pad) == "short one"


@pytest.mark.parametrize("pad", [PKCS1_V15, OAEP_SHA256])
def test_longer_than_the_key(key, pad):
    raw = encrypt(key, b"pw", pad)
    assert failure(b64(b"\x00" + raw), key, pad) == "bad_length"
    assert failure(b64(raw + b"\x00"), key, pad) == "bad_length"


def test_not_smaller_than_the_modulus(key2048):
    assert failure(b64(b"\xff" * 256), key2048) == "decrypt_failed"


def test_empty(key2048):
    assert failure("", key2048) == "bad_length"
    assert failure(" \n", key2048) == "bad_length"


@pytest.mark.parametrize(
    "ciphertext",
    [
        "not base64!",
        "abcde",  # 5 characters: no base64 string has length 1 mod 4
        "ab=cd===",
        "abcd\x00",
        "密码密码",
        "YWJj ZGVm",  # whitespace inside
    ],
)
def test_not_base64(key2048, ciphertext):
    assert failure(ciphertext, key2048) == "bad_base64"


def test_oaep_wrong_key(key2048, other_key):
    assert failure(b64(encrypt(key2048, b"pw", OAEP_SHA256)), other_key, OAEP_SHA256) == "decrypt_failed"


def test_oaep_rejects_pkcs1_ciphertext(key2048):
    assert failure(b64(encrypt(key2048, b"pw")), key2048, OAEP_SHA256) == "decrypt_failed"


def test_oaep_rejects_tampering(key2048):
    raw = bytearray(encrypt(key2048, b"pw", OAEP_SHA256))
    raw[-1] ^= 1
    assert failure(b64(bytes(raw)), key2048, OAEP_SHA256) == "decrypt_failed"


def decrypt_or_reason(ciphertext: str, key, pad: str = PKCS1_V15) -> str:
    try:
        return "ok:" + decrypt_password(ciphertext, key, pad)
    except DecryptionFailed as exc:
        assert exc.__context__ is None
        return "failed:" + exc.reason


def test_pkcs1_wrong_key_never_yields_the_password(key2048, other_key):
    for _ in range(20):
        assert decrypt_or_reason(b64(encrypt(key2048, b"password")), other_key) != "ok:password"


def test_pkcs1_oaep_ciphertext_never_yields_the_password(key2048):
    for _ in range(20):
        assert decrypt_or_reason(b64(encrypt(key2048, b"password", OAEP_SHA256)), key2048) != "ok:password"


def test_pkcs1_bad_padding_is_rejected_implicitly(key2048):
    """The OpenSSL in the cryptography wheel must do implicit rejection: a bad PKCS#1 v1.5 padding decrypts to
    bytes derived from the ciphertext and the key (the same every time) instead of raising. If this fails,
    the wheel's OpenSSL is older than 3.2 or built without it, and the grant has a padding oracle again."""
    rng = random.Random(7)
    n = key2048.public_key().public_numbers().n
    for _ in range(50):
        raw = (rng.randrange(n)).to_bytes(256)
        first = key2048.decrypt(raw, padding.PKCS1v15())  # raises ValueError without implicit rejection
        assert key2048.decrypt(raw, padding.PKCS1v15()) == first
        assert decrypt_or_reason(b64(raw), key2048) == decrypt_or_reason(b64(raw), key2048)


def test_unknown_padding_is_a_programming_error(key2048):
    with pytest.raises(ValueError):
        decrypt_password(b64(encrypt(key2048, b"pw")), key2048, "pkcs1")


@pytest.mark.parametrize("pad", [PKCS1_V15, OAEP_SHA256])
def test_random_input_only_ever_raises_decryption_failed(key2048, pad):
    rng = random.Random(20240611 if pad == PKCS1_V15 else 11)
    valid = encrypt(key2048, b"password", pad)
    inputs = []
    for _ in range(400):  # random bytes as base64, mostly of a length that gets as far as decrypting
        data = rng.randbytes(rng.choice([0, 1, 128, 255, 256, 256, 256, 257, rng.randrange(400)]))
        encode = rng.choice([base64.b64encode, base64.urlsafe_b64encode])
        inputs.append(encode(data).decode().rstrip("=" if rng.random() < 0.3 else ""))
    for _ in range(300):  # random text
        alphabet = rng.choice(["ABCDEFabcdef0123456789+/=", "ABCDEFabcdef0123456789-_ \n", None])
        length = rng.randrange(400)
        if alphabet is None:
            inputs.append("".join(chr(rng.randrange(0x110000)) for _ in range(length)))
        else:
            inputs.append("".join(rng.choice(alphabet) for _ in range(length)))
    for _ in range(300):  # a real ciphertext with random bytes changed
        data = bytearray(valid)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
        inputs.append(b64(bytes(data)))
    assert len(inputs) == 1000
    outcomes = set()
    for text in inputs:
        try:
            outcomes.add(decrypt_password(text, key2048, pad) and "text")
        except DecryptionFailed as exc:
            outcomes.add(exc.reason)
    # PKCS#1 v1.5 with implicit rejection can "succeed" with garbage text; OAEP never does.
    assert outcomes <= {"bad_base64", "bad_length", "decrypt_failed", "not_utf8", "text", ""}
    if pad == OAEP_SHA256:
        assert outcomes <= {"bad_base64", "bad_length", "decrypt_failed"}
