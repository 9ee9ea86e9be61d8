"""Secrets Manager rotation of the signing key and the password keys: the four steps RotateKeysFunction runs, and a
driver that runs them in-process (the local stack, the tests, and `oidc-admin keys rotate` on a stack without a
rotation schedule).

- createSecret: the new private document as the AWSPENDING version: for the signing secret, one more key, published
  from now and signing once Settings.signing_activation_seconds have passed, with keys whose tokens have all expired
  dropped; for the password secret, new RSA and SM2 keys with the replaced ones kept as `previous`, the new ones
  published at /api/v3/system only once every TokenFunction container can decrypt with them (`publish_at`).
- setSecret: the public halves of the pending document written into the public-keys secret (its other part kept),
  so the JWKS lists the new key before the private version is even current.
- testSecret: the pending document loads, and the public-keys secret publishes what it must.
- finishSecret: AWSCURRENT moves to the pending version; the public part is written again from it (a concurrent
  rotation of the other secret may have written the public document from an older read).

RotateKeysFunction runs with a reserved concurrency of 1, so two rotations (the stack's creation starts both) never
interleave their read-modify-write of the public-keys secret. Nothing here logs a key or a secret value.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from oidc_core.keys import keyring

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
SIGNING, PASSWORD = "signing", "password"


class RotationError(Exception):
    """A step cannot complete; Secrets Manager retries the rotation, AWSCURRENT is unchanged."""


@dataclass(frozen=True)
class KeyStore:
    signing_key_secret_id: str
    password_keys_secret_id: str
    public_keys_secret_id: str
    signing_activation_seconds: int
    token_retention_seconds: int
    signing_bits: int = 2048
    rsa_bits: int = 2048
    rsa_padding: str | None = None  # None: the current key's padding (pkcs1v15 for the first key)

    @classmethod
    def from_settings(cls, settings) -> KeyStore:
        return cls(settings.signing_key_secret_id, settings.password_keys_secret_id, settings.public_keys_secret_id,
                   settings.signing_activation_seconds, settings.token_retention_seconds,
                   rsa_padding=settings.rsa_password_padding or None)

    def kind_of(self, secret_id: str) -> str:
        if secret_id == self.signing_key_secret_id:
            return SIGNING
        if secret_id == self.password_keys_secret_id:
            return PASSWORD
        raise RotationError("not a secret this function rotates")


def _document(client, secret_id: str, **version) -> dict:
    value = json.loads(client.get_secret_value(SecretId=secret_id, **version)["SecretString"])
    if not isinstance(value, dict):
        raise RotationError("the secret is not a JSON object")
    return value


def _pending(client, secret_id: str, token: str) -> dict:
    return _document(client, secret_id, VersionId=token, VersionStage="AWSPENDING")


def _public_part(kind: str, private_document: dict) -> dict:
    if kind == SIGNING:
        return keyring.public_signing_document(private_document)
    return keyring.password_key_documents(private_document)[1]


def _new_private_document(store: KeyStore, kind: str, current: dict, now: int) -> dict:
    if kind == SIGNING:
        return keyring.rotated_signing_documents(current, store.signing_bits, now=now,
                                              activation=store.signing_activation_seconds,
                                              retention=store.token_retention_seconds)[0]
    padding = store.rsa_padding or (current.get("rsa") or {}).get("padding") or "pkcs1v15"
    return keyring.new_password_key_documents(store.rsa_bits, padding, replacing=current, now=now,
                                           activation=store.signing_activation_seconds)[0]


def _publish(client, store: KeyStore, part: dict) -> None:
    public = _document(client, store.public_keys_secret_id, VersionStage="AWSCURRENT")
    if {name: public.get(name) for name in part} != part:
        client.put_secret_value(SecretId=store.public_keys_secret_id, SecretString=json.dumps({**public, **part}))


def create_secret(client, store: KeyStore, secret_id: str, token: str, now: int | None = None) -> None:
    kind = store.kind_of(secret_id)
    try:
        _pending(client, secret_id, token)
        return  # a retry: the pending version exists already
    except client.exceptions.ResourceNotFoundException:
        pass
    current = _document(client, secret_id, VersionStage="AWSCURRENT")
    document = _new_private_document(store, kind, current, int(time.time()) if now is None else now)
    client.put_secret_value(SecretId=secret_id, ClientRequestToken=token, SecretString=json.dumps(document),
                            VersionStages=["AWSPENDING"])


def set_secret(client, store: KeyStore, secret_id: str, token: str) -> None:
    kind = store.kind_of(secret_id)
    _publish(client, store, _public_part(kind, _pending(client, secret_id, token)))


def test_secret(client, store: KeyStore, secret_id: str, token: str) -> None:
    kind = store.kind_of(secret_id)
    try:
        part = _public_part(kind, _pending(client, secret_id, token))  # the keys load
    except (KeyError, TypeError, ValueError):
        raise RotationError("the pending version holds no usable keys") from None
    public = _document(client, store.public_keys_secret_id, VersionStage="AWSCURRENT")
    if kind == SIGNING:
        published = {key.get("kid") for key in public.get("jwks", {}).get("keys", [])}
        missing = {key["kid"] for key in part["jwks"]["keys"]} - published
    else:
        missing = any(public.get(name) != value for name, value in part.items())
    if missing:
        raise RotationError("the public-keys secret does not publish the pending keys yet")


def finish_secret(client, store: KeyStore, secret_id: str, token: str) -> None:
    kind = store.kind_of(secret_id)
    stages = client.describe_secret(SecretId=secret_id)["VersionIdsToStages"]
    current = next((version for version, labels in stages.items() if "AWSCURRENT" in labels), None)
    if current != token:
        client.update_secret_version_stage(SecretId=secret_id, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                           **({"RemoveFromVersionId": current} if current else {}))
    _publish(client, store, _public_part(kind, _document(client, secret_id, VersionStage="AWSCURRENT")))


_STEP_FUNCTIONS = {"createSecret": create_secret, "setSecret": set_secret, "testSecret": test_secret,
                   "finishSecret": finish_secret}


def run_step(client, store: KeyStore, step: str, secret_id: str, token: str, now: int | None = None) -> None:
    if step not in _STEP_FUNCTIONS:
        raise RotationError("unknown rotation step")
    if step == "createSecret":
        create_secret(client, store, secret_id, token, now)
    else:
        _STEP_FUNCTIONS[step](client, store, secret_id, token)


def rotate(client, store: KeyStore, secret_id: str, now: int | None = None) -> str:
    """All four steps in this process, as Secrets Manager would call them; returns the new version's id."""
    token = str(uuid.uuid4())
    for step in STEPS:
        run_step(client, store, step, secret_id, token, now)
    # what Secrets Manager does after finishSecret: the pending label goes
    client.update_secret_version_stage(SecretId=secret_id, VersionStage="AWSPENDING", RemoveFromVersionId=token)
    return token
