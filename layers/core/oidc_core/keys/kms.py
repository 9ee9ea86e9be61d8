"""Keys held in AWS KMS (SigningKeySource, RsaPasswordKeySource or Sm2PasswordKeySource = KMS in template.yaml).

The private halves never leave KMS: a JWT's signature is one kms:Sign of its SHA-256 digest
(RSASSA_PKCS1_V1_5_SHA_256, MessageType DIGEST), an encrypted password is one kms:Decrypt (RSAES_OAEP_SHA_256, or
SM2PKE). The public halves come from kms:GetPublicKey, once per key and container: a KMS key's key material never
changes (asymmetric KMS keys do not rotate), so there is nothing to expire.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oidc_core import aws
from oidc_core.keys.jwk import public_signing_jwk
from oidc_core.passwords.decryption import sm2 as sm2_passwords

SIGNING_ALGORITHM = "RSASSA_PKCS1_V1_5_SHA_256"
RSA_PASSWORD_ALGORITHM = "RSAES_OAEP_SHA_256"
SM2_PASSWORD_ALGORITHM = "SM2PKE"

# An SM2 SubjectPublicKeyInfo ends with the BIT STRING of the uncompressed point 04 || X || Y.
_SM2_POINT_BYTES = 65


@functools.lru_cache(maxsize=8)
def _public_key_der(key_id: str) -> bytes:
    with aws.dependency("kms"):
        return aws.client("kms").get_public_key(KeyId=key_id)["PublicKey"]


def _rsa_public_key(key_id: str) -> rsa.RSAPublicKey:
    public_key = serialization.load_der_public_key(_public_key_der(key_id))
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError(f"KMS key {key_id} is not an RSA key")
    return public_key


@functools.lru_cache(maxsize=8)
def signing_jwk(key_id: str) -> dict:
    """The public JWK of a KMS signing key, its kid the RFC 7638 thumbprint (as for keys from Secrets Manager)."""
    return public_signing_jwk(_rsa_public_key(key_id))


@dataclass(frozen=True)
class KmsSigningKey:
    key_id: str
    kid: str

    def sign(self, signing_input: bytes) -> bytes:
        digest = hashlib.sha256(signing_input).digest()
        with aws.dependency("kms"):
            return aws.client("kms").sign(KeyId=self.key_id, Message=digest, MessageType="DIGEST",
                                          SigningAlgorithm=SIGNING_ALGORITHM)["Signature"]


def signing_key(key_id: str) -> KmsSigningKey:
    return KmsSigningKey(key_id=key_id, kid=signing_jwk(key_id)["kid"])


def rsa_public_key_pem(key_id: str) -> str:
    return _rsa_public_key(key_id).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def rsa_key_bytes(key_id: str) -> int:
    return (_rsa_public_key(key_id).key_size + 7) // 8


def sm2_public_key_hex(key_id: str) -> str:
    """The uncompressed point "04" + X + Y that sm-crypto encrypts to (cryptography cannot load SM2 keys; the point
    is the end of the SubjectPublicKeyInfo, and must be on the SM2 curve)."""
    return sm2_passwords.public_key_hex_of(_public_key_der(key_id)[-_SM2_POINT_BYTES:])


def decrypt(key_id: str, ciphertext: bytes, algorithm: str) -> bytes | None:
    """The plaintext, or None when KMS finds the ciphertext invalid (for the caller, a wrong password)."""
    with aws.dependency("kms"):
        try:
            return aws.client("kms").decrypt(KeyId=key_id, CiphertextBlob=ciphertext,
                                             EncryptionAlgorithm=algorithm)["Plaintext"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "InvalidCiphertextException":
                raise
    return None


def clear_cache() -> None:
    """Forget fetched public keys, as a new container would."""
    _public_key_der.cache_clear()
    signing_jwk.cache_clear()
