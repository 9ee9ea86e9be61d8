import pytest

from oidc_core.passwords.decryption import DecryptionFailed
from oidc_core.passwords.decryption.plaintext import decode_password_bytes


def cesu8(text: str) -> bytes:
    """What JSEncrypt produces: every UTF-16 code unit UTF-8-encoded on its own."""
    units = text.encode("utf-16-le")
    code_units = (int.from_bytes(units[i : i + 2], "little") for i in range(0, len(units), 2))
    return "".join(map(chr, code_units)).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize(
    "password",
    ["", "hunter2", "pässwörd", "密码123", "пароль", "😀", "a😀b", "𠀀", "𠀀𠀁 rare CJK", "👩‍💻 family 👨‍👩‍👧"],
)
def test_utf8_decodes(password):
    assert decode_password_bytes(password.encode("utf-8")) == password


@pytest.mark.parametrize("password", ["😀", "a😀b", "𠀀", "密码😀𠀀", "👩‍💻"])
def test_cesu8_from_jsencrypt_decodes(password):
    encoded = cesu8(password)
    assert encoded != password.encode("utf-8")
    assert decode_password_bytes(encoded) == password


def test_cesu8_emoji_bytes_from_the_reference():
    assert cesu8("😀") == bytes.fromhex("eda0bdedb880")
    assert decode_password_bytes(bytes.fromhex("eda0bdedb880")) == "😀"


def test_cesu8_and_utf8_mixed_in_one_password():
    assert decode_password_bytes(cesu8("😀") + "😀".encode("utf-8")) == "😀😀"


@pytest.mark.parametrize(
    "data",
    [
        bytes.fromhex("eda0bd"),  # lone high surrogate
        bytes.fromhex("edb880"),  # lone low surrogate
        bytes.fromhex("edb880eda0bd"),  # pair in the wrong order
        b"abc" + bytes.fromhex("eda0bd") + b"def",  # high surrogate followed by a normal character
        bytes.fromhex("eda0bd") + "😀".encode("utf-8")[0:4],  # CESU-8 high half + UTF-8 character
        b"\xff",
        b"\xc0\x80",  # overlong NUL
        b"\xe4\xbd",  # truncated multi-byte sequence
        b"\xf4\x90\x80\x80",  # above U+10FFFF
    ],
)
def test_invalid_bytes_fail(data):
    with pytest.raises(DecryptionFailed) as info:
        decode_password_bytes(data)
    assert info.value.reason == "not_utf8"


def test_failure_carries_no_input_bytes():
    with pytest.raises(DecryptionFailed) as info:
        decode_password_bytes(b"secret\xff")
    assert str(info.value) == "not_utf8"
    assert info.value.__context__ is None and info.value.__cause__ is None
