"""Bytes that came out of a decryption -> the password string."""

from . import DecryptionFailed


def decode_password_bytes(data: bytes) -> str:
    """Decode UTF-8, or CESU-8 as JSEncrypt produces it.

    JSEncrypt UTF-8-encodes each UTF-16 code unit on its own, so a character outside the BMP arrives as two
    3-byte surrogate sequences ("😀" = ed a0 bd ed b8 80). Decoding with surrogatepass keeps those surrogates;
    the UTF-16 round trip pairs them into the real character and rejects any that are left unpaired, which
    also rejects a mix of CESU-8 and UTF-8 halves.
    """
    try:
        text = data.decode("utf-8", "surrogatepass")
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeError:
        text = None
    if text is None:
        raise DecryptionFailed("not_utf8")
    return text


def password_of(plain: bytes | None) -> str:
    """The password a decryption gave; None means the decryption failed."""
    if plain is None:
        raise DecryptionFailed("decrypt_failed")
    return decode_password_bytes(plain)
