import random

import pytest
from gmssl.sm2 import CryptSM2, default_ecc_table

from helpers import decryption_failure
from oidc_core.passwords.decryption import DecryptionFailed, sm2
from oidc_core.passwords.decryption.sm2 import C1C2C3, C1C3C2, Sm2PrivateKey, decrypt_password, load_private_key
from oidc_tools.client_encryption import sm2_encrypt

P = int(default_ecc_table["p"], 16)
N = int(default_ecc_table["n"], 16)
G = default_ecc_table["g"].lower()
ARITH = CryptSM2("", "")

# Produced once by sm-crypto 0.3.14 (sm2.getPublicKeyFromPrivateKey, sm2.doEncrypt), so these tests pin
# interoperability even where node is not installed.
KAT_PRIVATE_KEY = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
KAT_PUBLIC_KEY = (
    "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020cc"
    "ea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
)
KAT_PASSWORD = "密码Password😀"
KAT_C1C3C2 = (
    "a981cc04b98d972061620f41bb1105bb68a817f820524bb00756e255e6af01af7d37af70c39b79ef52ff2d37209e17d832ecb77d505e49"
    "1ce2035d4ba85fa6f7ff053b54daf6bce6aa1db7f6374b1e39f07475506515e9046159007235e8c2d8e178d4fdf6943c7df896319df981"
    "a54e873a"
)
KAT_C1C2C3 = (
    "a992eedd41ccb5c7eb7aaec2340bf626074e0563c1ca9bd88bfc8a76b1f6518b9bd9eacd09524e3681af501dbfe91f4631c62ac61eeee4"
    "85408726b303a35c6b54a5b034c67053064df7ffba4da5f9cf65a52b341e10adc1b6c2a13e11931120ce02c1b2e6fedf1de52a0d122f09"
    "86e0b58f"
)
# k * G has an X coordinate that starts with byte 04: the case where "strip a leading 04" goes wrong.
K_WITH_X_STARTING_04 = 0x1062


def flip(hex_text: str, byte_index: int) -> str:
    data = bytearray.fromhex(hex_text)
    data[byte_index] ^= 0x01
    return data.hex()


def failure(ciphertext: str, key: Sm2PrivateKey, mode: str = C1C3C2) -> str:
    return decryption_failure(decrypt_password, ciphertext, key, mode)


@pytest.fixture(scope="module")
def key() -> Sm2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture(scope="module")
def other_key() -> Sm2PrivateKey:
    return sm2.generate_private_key()


# --- keys ---------------------------------------------------------------------------------------------------


def test_public_key_matches_sm_crypto():
    assert load_private_key(KAT_PRIVATE_KEY).public_key_hex == KAT_PUBLIC_KEY


def test_public_key_is_an_uncompressed_point_on_the_curve(key):
    public = key.public_key_hex
    assert len(public) == 130 and public.startswith("04") and public == public.lower()
    assert sm2._on_curve(bytes.fromhex(public[2:]))


def test_d_equal_one_gives_the_generator():
    assert load_private_key("0" * 63 + "1").public_key_hex == "04" + G


@pytest.mark.parametrize("text", [KAT_PRIVATE_KEY.upper(), f"  {KAT_PRIVATE_KEY}\n", f"{N - 1:064x}"])
def test_load_normalises_and_accepts(text):
    assert load_private_key(text).private_key_hex == text.strip().lower()


@pytest.mark.parametrize(
    "text",
    [
        "0" * 64,  # d = 0
        f"{N:064x}",  # d = n
        "f" * 64,  # d > n
        KAT_PRIVATE_KEY[1:],  # 63 characters
        KAT_PRIVATE_KEY + "0",  # 65 characters
        "04" + KAT_PRIVATE_KEY,  # a public-key-style prefix
        "zz" + KAT_PRIVATE_KEY[2:],
        "",
    ],
)
def test_load_rejects(text):
    with pytest.raises(ValueError) as info:
        load_private_key(text)
    assert KAT_PRIVATE_KEY[4:] not in str(info.value)


def test_constructor_validates_too():
    with pytest.raises(ValueError):
        Sm2PrivateKey(KAT_PRIVATE_KEY.upper())


def test_repr_does_not_show_the_private_key(key):
    assert key.private_key_hex not in repr(key)


def test_generate_draws_d_from_secrets(monkeypatch):
    monkeypatch.setattr(sm2.secrets, "randbelow", lambda bound: 41)
    assert sm2.generate_private_key().private_key_hex == f"{42:064x}"


def test_generated_keys_are_valid_and_distinct():
    first, second = sm2.generate_private_key(), sm2.generate_private_key()
    assert first != second
    assert 1 <= int(first.private_key_hex, 16) < N


# --- decryption ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ciphertext", "mode"), [(KAT_C1C3C2, C1C3C2), (KAT_C1C2C3, C1C2C3)])
def test_sm_crypto_known_answer(ciphertext, mode):
    assert decrypt_password(ciphertext, load_private_key(KAT_PRIVATE_KEY), mode) == KAT_PASSWORD


@pytest.mark.parametrize("mode", [C1C3C2, C1C2C3])
@pytest.mark.parametrize("password", ["a", "hunter2", "密码", "😀𠀀", "x" * 200])
def test_round_trip(key, mode, password):
    assert decrypt_password(sm2_encrypt(password.encode(), key.public_key_hex, mode), key, mode) == password


@pytest.mark.parametrize(("gmssl_mode", "mode"), [(1, C1C3C2), (0, C1C2C3)])
def test_gmssl_encryption_decrypts(key, gmssl_mode, mode):
    """gmssl's own encrypt() (a second implementation of the scheme; fine for a test, not for production)."""
    ciphertext = CryptSM2(private_key=None, public_key=key.public_key_hex[2:], mode=gmssl_mode).encrypt(b"pw 123")
    assert decrypt_password(ciphertext.hex(), key, mode) == "pw 123"


def test_uppercase_hex(key):
    assert decrypt_password(sm2_encrypt(b"pw", key.public_key_hex).upper(), key) == "pw"


@pytest.mark.parametrize("prefix", ["sm2:", "SM2:", "Sm2:", "sm2:04", "SM2:04"])
def test_sm2_prefix(key, prefix):
    assert decrypt_password(prefix + sm2_encrypt(b"pw", key.public_key_hex), key) == "pw"


@pytest.mark.parametrize("mode", [C1C3C2, C1C2C3])
def test_04_marker_on_c1(key, mode):
    assert decrypt_password("04" + sm2_encrypt(b"pw", key.public_key_hex, mode), key, mode) == "pw"


def test_surrounding_whitespace(key):
    assert decrypt_password(f" {sm2_encrypt(b'pw', key.public_key_hex)}\n", key) == "pw"


@pytest.mark.parametrize("mode", [C1C3C2, C1C2C3])
@pytest.mark.parametrize("marker", ["", "04"])
def test_x_coordinate_starting_with_04(key, mode, marker):
    ciphertext = sm2_encrypt(b"pw", key.public_key_hex, mode, k=K_WITH_X_STARTING_04)
    assert ciphertext.startswith("04")
    assert decrypt_password(marker + ciphertext, key, mode) == "pw"


def test_longest_password_allowed(key):
    password = "p" * sm2.MAX_PASSWORD_BYTES
    assert decrypt_password("04" + sm2_encrypt(password.encode(), key.public_key_hex), key) == password


# --- failures -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [C1C3C2, C1C2C3])
def test_tampered_c3(key, mode):
    ciphertext = sm2_encrypt(b"password", key.public_key_hex, mode)
    c3_byte = 64 if mode == C1C3C2 else len(ciphertext) // 2 - 1
    assert failure(flip(ciphertext, c3_byte), key, mode) == "c3_mismatch"


@pytest.mark.parametrize("mode", [C1C3C2, C1C2C3])
def test_tampered_c2(key, mode):
    ciphertext = sm2_encrypt(b"password", key.public_key_hex, mode)
    c2_byte = 64 + 32 if mode == C1C3C2 else 64
    assert failure(flip(ciphertext, c2_byte), key, mode) == "c3_mismatch"


def test_wrong_key(key, other_key):
    assert failure(sm2_encrypt(b"password", key.public_key_hex), other_key) == "c3_mismatch"


def test_wrong_mode(key):
    assert failure(sm2_encrypt(b"password", key.public_key_hex, C1C3C2), key, C1C2C3) == "c3_mismatch"


def test_c1_off_curve(key):
    assert failure(flip(sm2_encrypt(b"password", key.public_key_hex), 63), key) == "not_on_curve"


def test_c1_all_zero(key):
    assert failure("00" * 64 + sm2_encrypt(b"password", key.public_key_hex)[128:], key) == "not_on_curve"


def test_c1_with_x_not_reduced_mod_p(key):
    # (0, y) is on the curve; (p, y) is the same point written with an out-of-range X and must not pass.
    y = pow(int(default_ecc_table["b"], 16), (P + 1) // 4, P)
    assert sm2._on_curve(bytes(32) + y.to_bytes(32))
    assert failure(f"{P:064x}{y:064x}" + "00" * 33, key) == "not_on_curve"


@pytest.mark.parametrize("drop", [1, 10])
def test_truncated(key, drop):
    ciphertext = sm2_encrypt(b"a long enough password", key.public_key_hex)
    assert failure(ciphertext[: -2 * drop], key) == "c3_mismatch"


@pytest.mark.parametrize("marker", ["", "04"])
@pytest.mark.parametrize("keep", [0, 64, 96])
def test_truncated_to_nothing(key, marker, keep):
    assert failure(marker + sm2_encrypt(b"password", key.public_key_hex)[: 2 * keep], key) == "bad_length"


@pytest.mark.parametrize("marker", ["", "04"])
def test_empty_password(key, marker):
    assert failure(marker + sm2_encrypt(b"", key.public_key_hex), key) == "bad_length"


def test_too_long(key):
    ciphertext = sm2_encrypt(b"p" * (sm2.MAX_PASSWORD_BYTES + 1), key.public_key_hex)
    assert failure(ciphertext, key) == "bad_length"
    assert failure("04" + ciphertext, key) == "bad_length"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-1],  # odd length
        lambda c: c[:-2] + "zz",
        lambda c: "0x" + c,
        lambda c: c[:100] + "  " + c[100:-2],  # bytes.fromhex would let this through
        lambda c: c[:100] + "٠" + c[101:],  # a non-ASCII digit
    ],
)
def test_not_hex(key, mangle):
    assert failure(mangle(sm2_encrypt(b"password", key.public_key_hex)), key) == "bad_hex"


def test_an_all_zero_key_stream_is_accepted_as_sm_crypto_sends_it(key, monkeypatch):
    """sm-crypto does not draw a new k when the key stream comes out all zero (GM/T 0003.4 says it should), so
    such ciphertexts reach us from real clients; C3 still authenticates them."""
    monkeypatch.setattr(sm2.sm3, "sm3_kdf", lambda z, klen: "00" * int(klen))
    ciphertext = sm2_encrypt(b"password", key.public_key_hex, k=0x1234)
    assert ciphertext.endswith(b"password".hex())  # C2 is the plaintext itself
    assert decrypt_password(ciphertext, key) == "password"


def test_unknown_mode_is_a_programming_error(key):
    with pytest.raises(ValueError):
        decrypt_password(sm2_encrypt(b"pw", key.public_key_hex), key, "c1c2")


def test_random_input_only_ever_raises_decryption_failed(key):
    rng = random.Random(20240611)
    valid = sm2_encrypt(b"password", key.public_key_hex)
    inputs = []
    for _ in range(400):  # random bytes as hex, often long enough to be parsed
        inputs.append(rng.randbytes(rng.choice([0, 1, 63, 96, 97, 98, 130, rng.randrange(300)])).hex())
    for _ in range(300):  # random text
        alphabet = rng.choice(["0123456789abcdefABCDEF", "0123456789abcdefsm2: \n", None])
        length = rng.randrange(400)
        if alphabet is None:
            inputs.append("".join(chr(rng.randrange(0x110000)) for _ in range(length)))
        else:
            inputs.append("".join(rng.choice(alphabet) for _ in range(length)))
    for _ in range(100):  # a real C1, random C3 and C2: reaches the point multiplication and the C3 check
        inputs.append(valid[:128] + rng.randbytes(32 + rng.randrange(1, 40)).hex())
    for _ in range(200):  # a real ciphertext with random bytes changed
        data = bytearray.fromhex(valid)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
        inputs.append(("04" if rng.random() < 0.5 else "") + data.hex())
    assert len(inputs) == 1000
    for text in inputs:
        with pytest.raises(DecryptionFailed):
            decrypt_password(text, key, rng.choice([C1C3C2, C1C2C3]))


def test_kms_ciphertext_is_gm_t_0009_der_that_a_der_parser_reads_back():
    """KMS's SM2PKE takes SM2Cipher ::= SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET
    STRING }; asn1crypto (strict DER) must read back exactly the parts of the sm-crypto ciphertext."""
    from asn1crypto import core

    from oidc_core.passwords.decryption.sm2 import kms_ciphertext

    class Sm2Cipher(core.Sequence):
        _fields = [("x", core.Integer), ("y", core.Integer), ("hash", core.OctetString),
                   ("ciphertext", core.OctetString)]

    key = load_private_key("1" * 64)
    for length in (1, 127, 128, 300):  # DER lengths in one byte, and in two (long form)
        text = sm2_encrypt(b"p" * length, key.public_key_hex)
        for mode, order in ((C1C3C2, text), (C1C2C3, text[:128] + text[192:] + text[128:192])):
            parsed = Sm2Cipher.load(kms_ciphertext(order, mode), strict=True)
            assert f"{parsed['x'].native:064x}{parsed['y'].native:064x}" == text[:128]
            assert parsed["hash"].native.hex() == text[128:192]
            assert parsed["ciphertext"].native.hex() == text[192:]
    # x and y with their top bit set need a leading zero byte to stay positive: the parser would see negatives
    assert all(Sm2Cipher.load(kms_ciphertext(sm2_encrypt(b"pw", key.public_key_hex)), strict=True)["x"].native >= 0
               for _ in range(20))


def test_kms_ciphertext_checks_what_decryption_checks():
    from oidc_core.passwords.decryption.sm2 import kms_ciphertext

    key = load_private_key("1" * 64)
    assert decryption_failure(kms_ciphertext, "zz") == "bad_hex"
    assert decryption_failure(kms_ciphertext, "00" * 97) == "not_on_curve"
    assert decryption_failure(kms_ciphertext, key.public_key_hex[2:] + "00" * 32) == "bad_length"
