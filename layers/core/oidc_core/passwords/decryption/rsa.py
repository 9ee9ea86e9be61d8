"""RSA password decryption (password_encrypt_type=rsa).

Browser clients encrypt with JSEncrypt: RSAES-PKCS1-v1_5, standard base64. Keys held in KMS only do OAEP with
SHA-256, so that padding is supported too; which one a key uses is the operator's choice, not the client's.
"""

import base64
import binascii

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from . import DecryptionFailed
from .plaintext import password_of

PKCS1_V15 = "pkcs1v15"
OAEP_SHA256 = "oaep-sha256"

_PADDINGS = {
    PKCS1_V15: asym_padding.PKCS1v15(),
    OAEP_SHA256: asym_padding.OAEP(mgf=asym_padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
}

# Clients sometimes send URL-safe base64 (or have it mangled into it); "+/" and "-_" never clash.
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


def load_private_key(pem: str) -> RSAPrivateKey:
    """Load an unencrypted PEM private key (PKCS#8 or PKCS#1); ValueError for anything else."""
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (TypeError, ValueError, UnsupportedAlgorithm) as exc:  # TypeError: the PEM is password-protected
        raise ValueError("not a usable unencrypted PEM private key") from exc
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the PEM private key is not an RSA key")
    return key


def public_key_pem(private_key: RSAPrivateKey) -> str:
    """SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), the form JSEncrypt.setPublicKey and node-forge read."""
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _b64decode(text: str) -> bytes:
    text = text.strip().translate(_URLSAFE_TO_STANDARD)
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII characters
        pass
    raise DecryptionFailed("bad_base64")


def ciphertext_block(ciphertext: str, key_bytes: int) -> bytes:
    """The ciphertext as the key's block of `key_bytes` bytes; DecryptionFailed if it cannot be one."""
    raw = _b64decode(ciphertext)
    if not raw or len(raw) > key_bytes:
        raise DecryptionFailed("bad_length")
    # JSEncrypt 2.x (and copies of it, like Authing's miniapp-jsencrypt) hex-encode the ciphertext integer
    # without left padding, so about 1 in 200 ciphertexts is a byte or more short.
    return raw.rjust(key_bytes, b"\x00")


def decrypt_password(ciphertext: str, private_key: RSAPrivateKey, padding: str) -> str:
    if padding not in _PADDINGS:
        raise ValueError(f"unknown RSA padding {padding!r}")  # configuration error, not client input
    raw = ciphertext_block(ciphertext, (private_key.key_size + 7) // 8)

    # No padding check of our own: with the OpenSSL in the cryptography wheels (3.2+), a PKCS#1 v1.5 block
    # with bad padding decrypts to deterministic pseudo-random bytes (implicit rejection) instead of raising,
    # so a bad padding looks like a wrong password and there is no Bleichenbacher/Marvin oracle to rebuild.
    # cryptography still raises for a ciphertext >= the modulus (public knowledge) and for every OAEP failure.
    try:
        plain = private_key.decrypt(raw, _PADDINGS[padding])
    except ValueError:
        plain = None
    return password_of(plain)
