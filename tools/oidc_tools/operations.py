"""What an operator does to a stack, local or deployed: create clients and users, change passwords, rotate keys.
The admin command and the local stack's seeding both call these, so the demo data is made the way real data is."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from oidc_core import aws, clients, keys, passwords, users
from oidc_core.config import OWASP_MINIMUM_ARGON2, Argon2Parameters
from oidc_core.identifiers import LoginIdentifier, normalise
from oidc_core.scopes import KNOWN_SCOPES

DEFAULT_GRANT_TYPES = ("password", "refresh_token", "client_credentials")


@dataclass(frozen=True)
class Target:
    """Where a stack keeps its data (the first six fields are named by RESOURCES)."""

    users_table: str
    clients_table: str
    tokens_table: str
    signing_key_secret_id: str
    password_keys_secret_id: str
    public_keys_secret_id: str
    default_phone_country_code: str = "+86"
    argon2: Argon2Parameters = OWASP_MINIMUM_ARGON2


# Target field -> (logical id in template.yaml, stack output that names the deployed resource)
RESOURCES = {
    "users_table": ("UsersTable", "UsersTableName"),
    "clients_table": ("ClientsTable", "ClientsTableName"),
    "tokens_table": ("TokensTable", "TokensTableName"),
    "signing_key_secret_id": ("SigningKeySecret", "SigningKeySecretArn"),
    "password_keys_secret_id": ("PasswordKeysSecret", "PasswordKeysSecretArn"),
    "public_keys_secret_id": ("PublicKeysSecret", "PublicKeysSecretArn"),
}


def create_client(target: Target, client_id: str, secret: str | None = None, *, scopes=KNOWN_SCOPES,
                  grant_types=DEFAULT_GRANT_TYPES, name: str = "") -> tuple[clients.Client, str]:
    """Returns the client and its secret (generated when none is given: 256 random bits)."""
    unknown = set(scopes) - set(KNOWN_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}; known: {' '.join(KNOWN_SCOPES)}")
    secret = secret or secrets.token_urlsafe(32)
    client = clients.create(
        target.clients_table,
        client_id=client_id,
        secret_hash=passwords.hash_password(secret, target.argon2),
        allowed_scopes=scopes,
        grant_types=grant_types,
        name=name,
    )
    return client, secret


def create_user(target: Target, password: str, **fields) -> users.User:
    return users.create(
        target.users_table,
        password_hash=passwords.hash_password(password, target.argon2),
        default_country_code=target.default_phone_country_code,
        **fields,
    )


def find_user(target: Target, kind: str, value: str) -> users.User | None:
    if kind == "sub":
        return users.find_by_sub(target.users_table, value)
    identifier: LoginIdentifier = normalise(kind, value, target.default_phone_country_code)
    return users.find_by_login(target.users_table, identifier)


def set_password(target: Target, sub: str, password: str) -> bool:
    return users.set_password_hash(target.users_table, sub, passwords.hash_password(password, target.argon2))


def _read_json_secret(secret_id: str) -> dict:
    value = aws.client("secretsmanager").get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")
    return json.loads(value["SecretString"])


def _write_json_secret(secret_id: str, document: dict) -> None:
    aws.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))


def rotate_signing_key(target: Target, bits: int = 2048) -> str:
    """Make a new current signing key; returns its kid. The public half is published before the private half is
    used, so a verifier fetching the JWKS never meets a kid it does not know."""
    private_document, public_update = keys.rotated_signing_documents(
        _read_json_secret(target.signing_key_secret_id), bits
    )
    _write_json_secret(target.public_keys_secret_id, {**_read_json_secret(target.public_keys_secret_id), **public_update})
    _write_json_secret(target.signing_key_secret_id, private_document)
    return public_update["jwks"]["keys"][0]["kid"]


def replace_password_keys(target: Target, rsa_bits: int = 2048, rsa_padding: str = "pkcs1v15",
                          private_document: dict | None = None) -> dict:
    """New RSA and SM2 keys for password encryption (or the given ones); returns what /api/v3/system will publish.
    Clients holding the old public key fail to log in until they fetch the new one (up to KEY_CACHE_SECONDS plus
    their own caching), so rotate these rarely."""
    if private_document is None:
        private_document, public_update = keys.new_password_key_documents(rsa_bits, rsa_padding)
    else:
        private_document, public_update = keys.password_key_documents(private_document)
    _write_json_secret(target.password_keys_secret_id, private_document)
    _write_json_secret(target.public_keys_secret_id, {**_read_json_secret(target.public_keys_secret_id), **public_update})
    return public_update["password_encryption"]
