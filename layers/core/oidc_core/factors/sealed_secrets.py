"""TOTP secrets at rest: sealed with a KMS key of their own, the user named in the encryption context.

Why KMS, not the Secrets Manager wrapping the signing keys use: a TOTP secret is the user's, and is needed only at a
challenge. Sealed by KMS, the key that opens it never leaves KMS, so a copy of the users table (a backup, an export,
a leaked read role) holds no usable secret; the encryption context {"purpose": "totp-secret", "sub": <sub>} is bound
to the ciphertext (authenticated, not stored in it), so a sealed secret copied onto another user's item does not open
there, and every Decrypt is in CloudTrail with the user it was for. IAM can then let the enrolling function only
Encrypt and the signing-in one only Decrypt, each limited by kms:EncryptionContext:purpose. The price is one KMS round
trip per challenge (a symmetric Decrypt, $0.03 per 10,000) and $1 a month for the key: small beside an Argon2id hash.
A secret in Secrets Manager would instead sit in every warm container's memory, for every user.

`Sealer` is the interface the factors call; `KmsSealer` the one in use. A secret of at most 4 KiB (a TOTP secret is
20 bytes) is encrypted by KMS directly, no data key needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from botocore.exceptions import ClientError

from oidc_core import aws

PURPOSE = "totp-secret"


class SealedSecretUnusable(Exception):
    """The sealed secret does not open for this user (copied from another user's item, or corrupted)."""


class Sealer(Protocol):
    def seal(self, sub: str, secret: bytes) -> bytes: ...

    def open(self, sub: str, sealed: bytes) -> bytes: ...


def encryption_context(sub: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "sub": sub}


@dataclass(frozen=True)
class KmsSealer:
    key_id: str

    def seal(self, sub: str, secret: bytes) -> bytes:
        with aws.dependency("kms"):
            return aws.client("kms").encrypt(KeyId=self.key_id, Plaintext=secret,
                                             EncryptionContext=encryption_context(sub))["CiphertextBlob"]

    def open(self, sub: str, sealed: bytes) -> bytes:
        """The secret; SealedSecretUnusable when it does not open for this user, DependencyUnavailable (a 503) when
        KMS cannot be reached."""
        with aws.dependency("kms"):
            try:
                # KeyId named: a ciphertext sealed under any other key is refused by KMS, not opened with it.
                answer = aws.client("kms").decrypt(KeyId=self.key_id, CiphertextBlob=sealed,
                                                   EncryptionContext=encryption_context(sub))
            except ClientError as error:
                if error.response["Error"]["Code"] in ("InvalidCiphertextException", "IncorrectKeyException"):
                    raise SealedSecretUnusable(sub) from None
                raise
        return answer["Plaintext"]
