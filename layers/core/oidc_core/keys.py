"""Keys from Secrets Manager, fetched through Powertools Parameters and cached per container for KEY_CACHE_SECONDS.

The signing secret (private, TokenFunction only) holds
    {"keys": [{"status": "current", "private_key_pem": "..."}, {"status": "previous", ...}]}
the password-keys secret (private, TokenFunction only) holds the keys clients encrypt passwords to
    {"rsa": {"private_key_pem": "...", "padding": "pkcs1v15" | "oaep-sha256"}, "sm2": {"private_key_hex": "..."}}
and the public-keys secret (all that DiscoveryFunction may read) holds the public halves of both
    {"jwks": {"keys": [<public JWK>, ...]},
     "password_encryption": {"rsa": {"public_key_pem": "...", "padding": "..."}, "sm2": {"public_key_hex": "04..."}}}
`oidc-admin keys rotate` writes them, the public one first, so a signing key is published before it signs anything.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.errors import DependencyUnavailable
from oidc_core.jwk import generate_rsa_private_key_pem, public_signing_jwk
from oidc_core.password_decryption import rsa as rsa_passwords
from oidc_core.password_decryption import sm2 as sm2_passwords


class KeyNotConfigured(DependencyUnavailable):
    """The secret exists but holds no usable key yet (run `oidc-admin keys rotate`)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    algorithm: str = "RS256"


@functools.cache
def _secrets() -> SecretsProvider:
    return SecretsProvider(boto3_client=aws.client("secretsmanager"))


def clear_cache() -> None:
    """Forget fetched secrets, as a new container would (the tests use it after changing a secret)."""
    _secrets().clear_cache()


def _secret_document(secret_id: str, max_age: int, name: str) -> dict:
    if not secret_id:
        raise KeyNotConfigured(name)
    try:
        # Always name the stage: moto can return a stale version without it, and so could a half-done rotation.
        document = _secrets().get(secret_id, max_age=max_age, transform="json", VersionStage="AWSCURRENT")
    except TransformParameterError:
        raise KeyNotConfigured(name) from None
    except GetParameterError as error:
        raise DependencyUnavailable(name) from error
    if not isinstance(document, dict):
        raise KeyNotConfigured(name)
    return document


@functools.lru_cache(maxsize=4)
def _load_signing_key(private_key_pem: str) -> SigningKey:
    private_key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA key")
    return SigningKey(kid=public_signing_jwk(private_key)["kid"], private_key=private_key)


def current_signing_key(settings: Settings) -> SigningKey:
    document = _secret_document(settings.signing_key_secret_id, settings.key_cache_seconds, "signing key")
    current = [key for key in document.get("keys", []) if isinstance(key, dict) and key.get("status") == "current"]
    if not current:
        raise KeyNotConfigured("signing key")
    try:
        return _load_signing_key(current[0]["private_key_pem"])
    except (KeyError, TypeError, ValueError):
        raise KeyNotConfigured("signing key") from None


def published_jwks(settings: Settings) -> dict:
    document = _secret_document(settings.public_keys_secret_id, settings.key_cache_seconds, "public keys")
    keys = document.get("jwks", {}).get("keys", [])
    return {"keys": [key for key in keys if isinstance(key, dict)]}


def rotated_signing_documents(private_document: dict, bits: int = 2048) -> tuple[dict, dict]:
    """A new current key; the old current becomes previous (still in the JWKS, so tokens it signed verify until they
    expire); an older previous is dropped. Returns (private document, public document)."""
    old = [key for key in private_document.get("keys", []) if key.get("status") == "current"]
    new_keys = [{"status": "current", "private_key_pem": generate_rsa_private_key_pem(bits)}]
    new_keys += [{"status": "previous", "private_key_pem": key["private_key_pem"]} for key in old[:1]]
    jwks = [public_signing_jwk(_load_signing_key(key["private_key_pem"]).private_key) for key in new_keys]
    return {**private_document, "keys": new_keys}, {"jwks": {"keys": jwks}}


@dataclass(frozen=True)
class PasswordKeys:
    rsa: rsa.RSAPrivateKey
    rsa_padding: str
    sm2: sm2_passwords.Sm2PrivateKey


@functools.lru_cache(maxsize=4)
def _load_password_keys(rsa_pem: str, rsa_padding: str, sm2_hex: str) -> PasswordKeys:
    if rsa_padding not in (rsa_passwords.PKCS1_V15, rsa_passwords.OAEP_SHA256):
        raise ValueError("unknown RSA padding")
    return PasswordKeys(rsa_passwords.load_private_key(rsa_pem), rsa_padding, sm2_passwords.load_private_key(sm2_hex))


def password_decryption_keys(settings: Settings) -> PasswordKeys:
    document = _secret_document(settings.password_keys_secret_id, settings.key_cache_seconds, "password keys")
    try:
        return _load_password_keys(
            document["rsa"]["private_key_pem"], document["rsa"]["padding"], document["sm2"]["private_key_hex"]
        )
    except (KeyError, TypeError, ValueError):
        raise KeyNotConfigured("password keys") from None


def published_password_keys(settings: Settings) -> dict:
    document = _secret_document(settings.public_keys_secret_id, settings.key_cache_seconds, "public keys")
    published = document.get("password_encryption")
    if not isinstance(published, dict) or not {"rsa", "sm2"} <= set(published):
        raise KeyNotConfigured("password keys")
    return published


def password_key_documents(private_document: dict) -> tuple[dict, dict]:
    """(private document, public document) for given password keys; ValueError if they are not usable."""
    try:
        keys = _load_password_keys(private_document["rsa"]["private_key_pem"], private_document["rsa"]["padding"],
                                   private_document["sm2"]["private_key_hex"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a password-keys document: missing {error}") from None
    public = {"password_encryption": {
        "rsa": {"public_key_pem": rsa_passwords.public_key_pem(keys.rsa), "padding": keys.rsa_padding},
        "sm2": {"public_key_hex": keys.sm2.public_key_hex},
    }}
    return private_document, public


def new_password_key_documents(rsa_bits: int = 2048, rsa_padding: str = rsa_passwords.PKCS1_V15) -> tuple[dict, dict]:
    """Fresh RSA and SM2 password-encryption keys. Returns (private document, public document)."""
    return password_key_documents({
        "rsa": {"private_key_pem": generate_rsa_private_key_pem(rsa_bits), "padding": rsa_padding},
        "sm2": {"private_key_hex": sm2_passwords.generate_private_key().private_key_hex},
    })
