"""Keys from Secrets Manager, fetched through Powertools Parameters and cached per container for KEY_CACHE_SECONDS.

The signing secret (private, TokenFunction only) holds
    {"keys": [{"kid": "...", "published_at": <unix time>, "private_key_pem": "..."}, ...]}
Which key signs is decided from the clock, never from a stage move: the newest key published at least
`signing_activation_seconds` ago (KEY_CACHE_SECONDS + the max-age clients may keep the JWKS + slack), so every JWKS
anyone still holds lists it before a token carries its kid; a new stack's only key signs at once. A key that stopped
signing stays in the document (and so in the JWKS) until the last token it signed has expired; the rotation drops it
after that. Keys written before this scheme ({"status": "current" | "previous"}, no published_at) still work.

The password-keys secret (private, TokenFunction only) holds the newest keys clients encrypt passwords to, and the
ones they replace:
    {"rsa": {"private_key_pem": "...", "padding": "pkcs1v15" | "oaep-sha256"}, "sm2": {"private_key_hex": "..."},
     "publish_at": <unix time>, "previous": {"rsa": {...}, "sm2": {...}}}
The newest keys decrypt from the moment the document is current, but /api/v3/system publishes them only from
`publish_at` (the rotation's time + signing_activation_seconds, by when every TokenFunction container has read them);
until then it publishes the previous ones, which keep decrypting until PASSWORD_KEY_OVERLAP_SECONDS after publish_at.
The public-keys secret (all that DiscoveryFunction may read) holds the public halves of both
    {"jwks": {"keys": [<public JWK>, ...]},
     "password_encryption": {"rsa": {"public_key_pem": "...", "padding": "..."}, "sm2": {"public_key_hex": "04..."},
                             "publish_at": <unix time>},
     "previous_password_encryption": {"rsa": {...}, "sm2": {...}}}
The rotation function (oidc_core.keys.rotation) writes them: the public one in setSecret, before the private version
becomes AWSCURRENT in finishSecret.

A key can instead be held in KMS (oidc_core.keys.kms), chosen per key by the template: then it signs or decrypts
there, its public half is published from kms:GetPublicKey, and its part of the secrets is not used (the signing
secret's keys stay in the JWKS, so tokens signed before a switch to KMS still verify).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Protocol

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from oidc_core import aws
from oidc_core.keys import kms
from oidc_core.config import Settings
from oidc_core.errors import DependencyUnavailable
from oidc_core.keys.jwk import generate_rsa_private_key_pem, public_signing_jwk
from oidc_core.passwords.decryption import rsa as rsa_passwords
from oidc_core.passwords.decryption import sm2 as sm2_passwords
from oidc_core.passwords.decryption.plaintext import password_of


# Clocks of Lambda containers and the rotation function may differ by this much.
CLOCK_SLACK_SECONDS = 60


class KeyNotConfigured(DependencyUnavailable):
    """The secret exists but holds no usable key yet (run `oidc-admin keys rotate`)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def sign(self, signing_input: bytes) -> bytes:
        return self.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())


@functools.cache
def _secrets() -> SecretsProvider:
    return SecretsProvider(boto3_client=aws.client("secretsmanager"))


def clear_cache() -> None:
    """Forget fetched secrets and public keys, as a new container would (the tests use it after changing a secret)."""
    _secrets().clear_cache()
    kms.clear_cache()


def _from_kms(name: str, fetch):
    """A public key or signer of a KMS key; a key of the wrong kind is a deployment without a usable key."""
    try:
        return fetch()
    except ValueError:
        raise KeyNotConfigured(name) from None


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


def _stamped(private_document: dict, now: int, activation: int) -> list[dict]:
    """The document's keys oldest first; a key written before published_at existed counts as published long enough
    ago to sign, and a legacy "previous" as older than the legacy "current"."""
    entries = [key for key in private_document.get("keys", []) if isinstance(key, dict)]
    stamped = [{**key, "published_at": int(key.get("published_at", now - activation))} for key in entries]
    return sorted(stamped, key=lambda key: (key["published_at"], key.get("status") != "previous"))


def signing_entry(private_document: dict, now: int, activation: int) -> dict | None:
    """The key that signs at `now`: the newest one published at least `activation` seconds ago; when none is (a new
    stack), the oldest, as nothing can have cached a JWKS without it."""
    usable = [key for key in _stamped(private_document, now, activation) if key.get("status") != "previous"]
    if not usable:
        return None
    active = [key for key in usable if key["published_at"] + activation <= now]
    return active[-1] if active else usable[0]


def current_signing_key(settings: Settings, now: int | None = None) -> SigningKey | kms.KmsSigningKey:
    if settings.signing_kms_key_id:
        return _from_kms("signing key", lambda: kms.signing_key(settings.signing_kms_key_id))
    document = _secret_document(settings.signing_key_secret_id, settings.key_cache_seconds, "signing key")
    now = int(time.time()) if now is None else now
    entry = signing_entry(document, now, settings.signing_activation_seconds)
    if entry is None:
        raise KeyNotConfigured("signing key")
    try:
        return _load_signing_key(entry["private_key_pem"])
    except (KeyError, TypeError, ValueError):
        raise KeyNotConfigured("signing key") from None


def published_jwks(settings: Settings) -> dict:
    document = _secret_document(settings.public_keys_secret_id, settings.key_cache_seconds, "public keys")
    keys = [key for key in document.get("jwks", {}).get("keys", []) if isinstance(key, dict)]
    if settings.signing_kms_key_id:
        keys.insert(0, _from_kms("signing key", lambda: kms.signing_jwk(settings.signing_kms_key_id)))
    return {"keys": keys}


def public_signing_document(private_document: dict) -> dict:
    """The JWKS of every key in the private document (next, signing and retiring ones), newest first."""
    entries = _stamped(private_document, 0, 0)
    return {"jwks": {"keys": [public_signing_jwk(_load_signing_key(key["private_key_pem"]).private_key)
                              for key in reversed(entries)]}}


def rotated_signing_documents(private_document: dict, bits: int = 2048, *, now: int | None = None,
                              activation: int = 0, retention: int = 0) -> tuple[dict, dict]:
    """A new key, published now and signing once `activation` seconds have passed; the key signing now keeps
    signing until then. A key that stopped signing stays until `retention` seconds (the longest token lifetime)
    after it stopped, then is dropped. Returns (private document, public document)."""
    now = int(time.time()) if now is None else now
    entries = _stamped(private_document, now, activation)
    signing = signing_entry(private_document, now, activation)
    kept = []
    for index, key in enumerate(entries):
        if signing is not None and key["private_key_pem"] != signing["private_key_pem"] \
                and key["published_at"] <= signing["published_at"] \
                and index + 1 < len(entries):
            # It stopped signing when its successor became active; the tokens it signed last `retention` longer.
            stopped_signing = entries[index + 1]["published_at"] + activation
            if now >= stopped_signing + retention + CLOCK_SLACK_SECONDS:
                continue
        kept.append(key)
    pem = generate_rsa_private_key_pem(bits)
    kept.append({"kid": _load_signing_key(pem).kid, "published_at": now, "private_key_pem": pem})
    document = {**private_document, "keys": kept}
    return document, public_signing_document(document)


class PasswordKey(Protocol):
    """A key passwords are encrypted to: raises DecryptionFailed for anything but a ciphertext of a password."""

    def decrypt_password(self, ciphertext: str, sm2_mode: str) -> str: ...


@dataclass(frozen=True)
class RsaPasswordKey:
    private_key: rsa.RSAPrivateKey
    padding: str

    def decrypt_password(self, ciphertext: str, sm2_mode: str) -> str:
        return rsa_passwords.decrypt_password(ciphertext, self.private_key, self.padding)


@dataclass(frozen=True)
class Sm2PasswordKey:
    private_key: sm2_passwords.Sm2PrivateKey

    def decrypt_password(self, ciphertext: str, sm2_mode: str) -> str:
        return sm2_passwords.decrypt_password(ciphertext, self.private_key, sm2_mode)


@dataclass(frozen=True)
class KmsRsaPasswordKey:
    key_id: str

    def decrypt_password(self, ciphertext: str, sm2_mode: str) -> str:
        block = rsa_passwords.ciphertext_block(ciphertext, kms.rsa_key_bytes(self.key_id))
        return password_of(kms.decrypt(self.key_id, block, kms.RSA_PASSWORD_ALGORITHM))


@dataclass(frozen=True)
class KmsSm2PasswordKey:
    key_id: str

    def decrypt_password(self, ciphertext: str, sm2_mode: str) -> str:
        blob = sm2_passwords.kms_ciphertext(ciphertext, sm2_mode)
        return password_of(kms.decrypt(self.key_id, blob, kms.SM2_PASSWORD_ALGORITHM))


@functools.lru_cache(maxsize=8)
def _load_password_key(encrypt_type: str, key: str, rsa_padding: str = "") -> RsaPasswordKey | Sm2PasswordKey:
    if encrypt_type == "sm2":
        return Sm2PasswordKey(sm2_passwords.load_private_key(key))
    if rsa_padding not in (rsa_passwords.PKCS1_V15, rsa_passwords.OAEP_SHA256):
        raise ValueError("unknown RSA padding")
    return RsaPasswordKey(rsa_passwords.load_private_key(key), rsa_padding)


def _password_key_of(document: dict, encrypt_type: str) -> RsaPasswordKey | Sm2PasswordKey:
    if encrypt_type == "sm2":
        return _load_password_key("sm2", document["sm2"]["private_key_hex"])
    return _load_password_key("rsa", document["rsa"]["private_key_pem"], document["rsa"]["padding"])


def _kms_password_key_id(settings: Settings, encrypt_type: str) -> str:
    return settings.sm2_password_kms_key_id if encrypt_type == "sm2" else settings.rsa_password_kms_key_id


def password_decryption_keys(settings: Settings, encrypt_type: str, now: int | None = None) -> list[PasswordKey]:
    """The keys a password encrypted with `encrypt_type` (rsa, sm2) may be encrypted to: the current one, and the
    previous one while the overlap window after a rotation lasts."""
    kms_key_id = _kms_password_key_id(settings, encrypt_type)
    if kms_key_id:
        return [KmsSm2PasswordKey(kms_key_id) if encrypt_type == "sm2" else KmsRsaPasswordKey(kms_key_id)]
    document = _secret_document(settings.password_keys_secret_id, settings.key_cache_seconds, "password keys")
    now = int(time.time()) if now is None else now
    try:
        found = [_password_key_of(document, encrypt_type)]
        previous = document.get("previous")
        if isinstance(previous, dict) and now < int(document.get("publish_at", 0)) + settings.password_key_overlap_seconds:
            found.append(_password_key_of(previous, encrypt_type))
        return found
    except (KeyError, TypeError, ValueError):
        raise KeyNotConfigured("password keys") from None


def published_password_keys(settings: Settings, now: int | None = None) -> dict:
    """The public keys clients should encrypt to now: a key held in KMS; else from the secret, the newest from their
    publish_at, the previous ones before."""
    published = {}
    if not (settings.rsa_password_kms_key_id and settings.sm2_password_kms_key_id):
        published = _published_password_keys_in_secret(settings, now)
    if settings.rsa_password_kms_key_id:
        pem = _from_kms("password keys", lambda: kms.rsa_public_key_pem(settings.rsa_password_kms_key_id))
        published = {**published, "rsa": {"public_key_pem": pem, "padding": rsa_passwords.OAEP_SHA256}}
    if settings.sm2_password_kms_key_id:
        point = _from_kms("password keys", lambda: kms.sm2_public_key_hex(settings.sm2_password_kms_key_id))
        published = {**published, "sm2": {"public_key_hex": point}}
    return published


def _published_password_keys_in_secret(settings: Settings, now: int | None) -> dict:
    document = _secret_document(settings.public_keys_secret_id, settings.key_cache_seconds, "public keys")
    published = document.get("password_encryption")
    now = int(time.time()) if now is None else now
    previous = document.get("previous_password_encryption")
    if isinstance(published, dict) and isinstance(previous, dict) and now < int(published.get("publish_at", 0)):
        published = previous
    if not isinstance(published, dict) or not {"rsa", "sm2"} <= set(published):
        raise KeyNotConfigured("password keys")
    return published


def _public_password_keys(document: dict) -> dict:
    rsa_key, sm2_key = _password_key_of(document, "rsa"), _password_key_of(document, "sm2")
    return {"rsa": {"public_key_pem": rsa_passwords.public_key_pem(rsa_key.private_key), "padding": rsa_key.padding},
            "sm2": {"public_key_hex": sm2_key.private_key.public_key_hex}}


def password_key_documents(private_document: dict) -> tuple[dict, dict]:
    """(private document, public document) for given password keys; ValueError if they are not usable."""
    try:
        published = _public_password_keys(private_document)
        previous = private_document.get("previous")
        previous_published = _public_password_keys(previous) if isinstance(previous, dict) else None
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a password-keys document: missing {error}") from None
    public = {"password_encryption": {**published, "publish_at": int(private_document.get("publish_at", 0))},
              "previous_password_encryption": previous_published}
    return private_document, public


def new_password_key_documents(rsa_bits: int = 2048, rsa_padding: str = rsa_passwords.PKCS1_V15,
                               replacing: dict | None = None, now: int | None = None,
                               activation: int = 0) -> tuple[dict, dict]:
    """Fresh RSA and SM2 password-encryption keys, published `activation` seconds from now; the published ones of
    `replacing` (the current document) become the previous keys. Returns (private document, public document)."""
    now = int(time.time()) if now is None else now
    document = {
        "rsa": {"private_key_pem": generate_rsa_private_key_pem(rsa_bits), "padding": rsa_padding},
        "sm2": {"private_key_hex": sm2_passwords.generate_private_key().private_key_hex},
        "publish_at": now,
    }
    if replacing and {"rsa", "sm2"} <= set(replacing):
        # Clients hold what /api/v3/system published: the keys being replaced, unless they were never published (a
        # second rotation before the first one's publish_at), in which case the keys they replaced are still it.
        published = replacing
        if now < int(replacing.get("publish_at", 0)) and isinstance(replacing.get("previous"), dict):
            published = replacing["previous"]
        document["previous"] = {"rsa": published["rsa"], "sm2": published["sm2"]}
        document["publish_at"] = now + activation  # once every container can decrypt with them
    return password_key_documents(document)


def json_secret(secret_id: str, max_age: int, name: str) -> dict:
    """A JSON secret besides the keys (the lazy migration's upstream), read and cached as the keys are; {} when the
    secret holds no object."""
    try:
        return _secret_document(secret_id, max_age, name)
    except KeyNotConfigured:
        return {}
