"""What an operator does to a stack, local or deployed: create clients and users, change passwords, rotate keys.
The admin command and the local stack's seeding both call these, so the demo data is made the way real data is."""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass

from oidc_core import aws
from oidc_core.keys import keyring
from oidc_core.keys import kms
from oidc_core.keys import rotation
from oidc_core.passwords import hashing
from oidc_core.store import clients
from oidc_core.store import users
from oidc_core.config import OWASP_MINIMUM_ARGON2, Argon2Parameters, signing_activation_seconds
from oidc_core.store.identifiers import LoginIdentifier, normalise
from oidc_core.tokens.scopes import KNOWN_SCOPES, is_api_scope

DEFAULT_GRANT_TYPES = ("password", "refresh_token", "client_credentials")
PUBLIC_CLIENT_GRANT_TYPES = ("password", "refresh_token")  # a public client has no secret for client_credentials


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
    # For a rotation run here rather than by the stack's RotateKeysFunction: the template's defaults at their safest
    # (KeyCacheSeconds' default of 300; the longest token lifetime the template allows).
    signing_activation_seconds: int = signing_activation_seconds(300)
    token_retention_seconds: int = 86400
    # ARNs of the keys held in KMS (SigningKeySource… = KMS); empty: that key is in Secrets Manager
    signing_kms_key_id: str = ""
    rsa_password_kms_key_id: str = ""
    sm2_password_kms_key_id: str = ""
    upstream_secret_id: str = ""  # the lazy migration's upstream; empty: a stack from before it

    def key_store(self, **options) -> rotation.KeyStore:
        return rotation.KeyStore(self.signing_key_secret_id, self.password_keys_secret_id, self.public_keys_secret_id,
                                 self.signing_activation_seconds, self.token_retention_seconds, **options)


# Target field -> (logical id in template.yaml, stack output that names the deployed resource)
RESOURCES = {
    "users_table": ("UsersTable", "UsersTableName"),
    "clients_table": ("ClientsTable", "ClientsTableName"),
    "tokens_table": ("TokensTable", "TokensTableName"),
    "signing_key_secret_id": ("SigningKeySecret", "SigningKeySecretArn"),
    "password_keys_secret_id": ("PasswordKeysSecret", "PasswordKeysSecretArn"),
    "public_keys_secret_id": ("PublicKeysSecret", "PublicKeysSecretArn"),
}
# Target field -> (logical id of a KMS key the template creates when asked, the stack output that names it)
KMS_KEYS = {
    "signing_kms_key_id": ("SigningKmsKey", "SigningKmsKeyArn"),
    "rsa_password_kms_key_id": ("RsaPasswordKmsKey", "RsaPasswordKmsKeyArn"),
    "sm2_password_kms_key_id": ("Sm2PasswordKmsKey", "Sm2PasswordKmsKeyArn"),
}
# Target field -> (logical id, stack output) of what a stack from before lazy migration lacks.
OPTIONAL_RESOURCES = {"upstream_secret_id": ("UpstreamSecret", "UpstreamSecretArn")}
KMS_KEY_ROTATION = "asymmetric KMS keys do not rotate (docs/keys.md: Keys held in KMS)"


def _check_client_settings(scopes, grant_types, post_logout_redirect_uris, redirect_uris=()) -> None:
    # Imported here: the grants import Powertools' Logger, which binds to sys.stdout when first imported, and
    # `make invoke` must first point stdout elsewhere (its stdout is the response alone).
    from oidc_core.grants import GRANTS

    unknown = [scope for scope in scopes if scope not in KNOWN_SCOPES and not is_api_scope(scope)]
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}; known: {' '.join(KNOWN_SCOPES)}, "
                         "or API scopes written resource:action")
    unknown = set(grant_types) - set(GRANTS)
    if unknown:
        raise ValueError(f"unknown grant types: {sorted(unknown)}; known: {' '.join(GRANTS)}")
    for uri in post_logout_redirect_uris:
        try:
            clients.checked_redirect_uri(uri)
        except ValueError as reason:
            raise ValueError(f"not a usable post-logout redirect URI {uri!r}: {reason}") from None
    for uri in redirect_uris:
        try:
            clients.checked_redirect_uri(uri, http_hosts=clients.LOOPBACK_IPS)
        except ValueError as reason:
            raise ValueError(f"not a usable redirect URI {uri!r}: {reason}") from None


def create_client(target: Target, client_id: str, secret: str | None = None, *, scopes=KNOWN_SCOPES,
                  grant_types=None, name: str = "", auth_method: str = "client_secret_basic",
                  post_logout_redirect_uris=(), redirect_uris=(), third_party: bool = False,
                  require_pkce: bool = False, no_sign_up: bool = False) -> tuple[clients.Client, str | None]:
    """Returns the client and its secret (generated when none is given: 256 random bits; None for a public client)."""
    if grant_types is None:
        grant_types = PUBLIC_CLIENT_GRANT_TYPES if auth_method == clients.PUBLIC_AUTH_METHOD else DEFAULT_GRANT_TYPES
    _check_client_settings(scopes, grant_types, post_logout_redirect_uris, redirect_uris)
    if auth_method == clients.PUBLIC_AUTH_METHOD:
        if secret:
            raise ValueError("a public client (--auth-method none) has no secret")
    else:
        secret = secret or secrets.token_urlsafe(32)
    client = clients.create(
        target.clients_table,
        client_id=client_id,
        secret_hash=hashing.hash_password(secret, target.argon2) if secret else "",
        allowed_scopes=scopes,
        grant_types=grant_types,
        name=name,
        token_endpoint_auth_method=auth_method,
        post_logout_redirect_uris=post_logout_redirect_uris,
        redirect_uris=redirect_uris,
        third_party=third_party,
        require_pkce=require_pkce,
        no_sign_up=no_sign_up,
    )
    return client, secret


def update_client(target: Target, client_id: str, **changes) -> clients.Client:
    """Change a client's name, scopes, grant types, auth method, redirect URIs, post-logout redirect URIs,
    third_party, require_pkce or no_sign_up (None: unchanged).
    Making a public client confidential needs a new secret: create it anew instead."""
    client = clients.find(target.clients_table, client_id)
    if client is None:
        raise clients.NoSuchClient(f"no client {client_id!r}")
    changes = {name: value for name, value in changes.items() if value is not None}
    if "allowed_scopes" in changes:
        changes["allowed_scopes"] = frozenset(changes["allowed_scopes"])
    if "grant_types" in changes:
        changes["grant_types"] = frozenset(changes["grant_types"])
    if "post_logout_redirect_uris" in changes:
        changes["post_logout_redirect_uris"] = tuple(changes["post_logout_redirect_uris"])
    if "redirect_uris" in changes:
        changes["redirect_uris"] = tuple(changes["redirect_uris"])
    changed = dataclasses.replace(client, **changes)
    if changed.is_public and not client.is_public:
        changed = dataclasses.replace(changed, secret_hash="")  # a public client has no secret to keep
    _check_client_settings(changed.allowed_scopes, changed.grant_types, changed.post_logout_redirect_uris,
                           changed.redirect_uris)
    return clients.replace(target.clients_table, changed)


def create_user(target: Target, password: str, **fields) -> users.User:
    return users.create(
        target.users_table,
        password_hash=hashing.hash_password(password, target.argon2),
        default_country_code=target.default_phone_country_code,
        **fields,
    )


def find_user(target: Target, kind: str, value: str) -> users.User | None:
    if kind == "sub":
        return users.find_by_sub(target.users_table, value)
    identifier: LoginIdentifier = normalise(kind, value, target.default_phone_country_code)
    return users.find_by_login(target.users_table, identifier)


def set_password(target: Target, sub: str, password: str) -> bool:
    """Also ends the user's sessions: refresh tokens from before the change stop working."""
    return users.set_password_hash(target.users_table, sub, hashing.hash_password(password, target.argon2))


def migrate_identifiers(target: Target) -> dict:
    """Move every login-identifier item to the key today's normal form gives it (NFKC case folding, ASCII phone
    digits), so users created under older rules keep logging in. Idempotent. Scans the users table: an operator's
    one-off, never a request path. An identifier now taken by another user, or no longer usable, is reported and
    left as it is."""
    from botocore.exceptions import ClientError

    from oidc_core.store.identifiers import LOGIN_IDENTIFIER_KINDS

    dynamodb = aws.client("dynamodb")
    report = {"checked": 0, "migrated": 0, "conflicts": [], "unusable": []}
    for page in dynamodb.get_paginator("scan").paginate(TableName=target.users_table, ConsistentRead=True):
        for item in page["Items"]:
            kind, _, stored = item["pk"]["S"].partition("#")
            if kind not in LOGIN_IDENTIFIER_KINDS:
                continue
            report["checked"] += 1
            current = normalise(kind, stored, target.default_phone_country_code)
            if current.value == stored:
                continue
            if not current.value:
                report["unusable"].append({"sub": item["sub"]["S"], "kind": kind})
                continue
            try:
                dynamodb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": target.users_table, "Item": {**item, "pk": {"S": current.key}},
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Delete": {"TableName": target.users_table, "Key": {"pk": item["pk"]}}},
                ])
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                report["conflicts"].append({"sub": item["sub"]["S"], "kind": kind})
                continue
            report["migrated"] += 1
    return report


def sign_out(target: Target, sub: str) -> bool:
    """End every session of the user: each refresh token family stops at its next use. One write, no scan."""
    return users.end_sessions(target.users_table, sub)


def _read_json_secret(secret_id: str) -> dict:
    value = aws.client("secretsmanager").get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")
    return json.loads(value["SecretString"])


def _write_json_secret(secret_id: str, document: dict) -> None:
    aws.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))


def _rotation_is_scheduled(secret_id: str) -> bool:
    description = aws.client("secretsmanager").describe_secret(SecretId=secret_id)
    return bool(description.get("RotationEnabled") and description.get("RotationLambdaARN"))


def key_sources(target: Target, now: int | None = None) -> dict:
    """Where each key is held and what of it is published now: `oidc-admin keys show`."""
    import time

    now = int(time.time()) if now is None else now
    public = _read_json_secret(target.public_keys_secret_id)
    password_encryption = public.get("password_encryption") or {}
    if target.signing_kms_key_id:
        signing = {"held_in": "kms", "key": target.signing_kms_key_id,
                   "kid": kms.signing_jwk(target.signing_kms_key_id)["kid"], "rotation": KMS_KEY_ROTATION}
    else:
        document = _read_json_secret(target.signing_key_secret_id)
        signs = keyring.signing_entry(document, now, target.signing_activation_seconds) or {}
        signing = {"held_in": "secrets-manager", "signing_kid": signs.get("kid"),
                   "published_kids": [jwk["kid"] for jwk in public.get("jwks", {}).get("keys", [])]}
    if target.rsa_password_kms_key_id:
        rsa = {"held_in": "kms", "key": target.rsa_password_kms_key_id, "padding": "oaep-sha256",
               "rotation": KMS_KEY_ROTATION}
    else:
        rsa = {"held_in": "secrets-manager", "padding": password_encryption.get("rsa", {}).get("padding")}
    if target.sm2_password_kms_key_id:
        sm2 = {"held_in": "kms", "key": target.sm2_password_kms_key_id,
               "public_key": kms.sm2_public_key_hex(target.sm2_password_kms_key_id), "rotation": KMS_KEY_ROTATION}
    else:
        sm2 = {"held_in": "secrets-manager", "public_key": password_encryption.get("sm2", {}).get("public_key_hex")}
    return {"signing_key": signing, "rsa_password_key": rsa, "sm2_password_key": sm2}


def start_rotation(target: Target, kind: str) -> dict:
    """`oidc-admin keys rotate` on a deployed stack: Secrets Manager runs RotateKeysFunction's four steps now, as on
    the schedule. Returns what was started."""
    secret_id = target.signing_key_secret_id if kind == rotation.SIGNING else target.password_keys_secret_id
    version = aws.client("secretsmanager").rotate_secret(SecretId=secret_id, RotateImmediately=True)["VersionId"]
    return {"rotation": "started", "version": version}


# NIST SP 800-131A: RSA keys under 2048 bits are disallowed for signing and for key transport
MINIMUM_RSA_BITS = 2048


def _refuse_weak_rsa(bits: int) -> None:
    if bits < MINIMUM_RSA_BITS:
        raise ValueError(f"RSA keys under {MINIMUM_RSA_BITS} bits are refused (NIST SP 800-131A): got {bits}")


def rotate_signing_key(target: Target, bits: int = 2048, now: int | None = None) -> str:
    """A new signing key through the rotation's four steps run here; returns its kid. It is published at once and
    signs once the JWKS caches have had time to learn it; the key it replaces stays published while its tokens live."""
    _refuse_weak_rsa(bits)
    rotation.rotate(aws.client("secretsmanager"), target.key_store(signing_bits=bits), target.signing_key_secret_id,
                    now)
    return _read_json_secret(target.signing_key_secret_id)["keys"][-1]["kid"]  # the new key is the last one


def signing_key_schedule(target: Target, kid: str) -> tuple[int, int]:
    """When the signing key `kid` was published in the JWKS and when it starts signing (unix times): the oldest key
    of a stack signs at once, as no JWKS can have been cached without it."""
    document = _read_json_secret(target.signing_key_secret_id)
    entries = keyring._stamped(document, 0, 0)
    entry = next(key for key in entries if key.get("kid") == kid)
    published = entry["published_at"]
    return published, published if entry is entries[0] else published + target.signing_activation_seconds


def replace_password_keys(target: Target, rsa_bits: int = 2048, rsa_padding: str | None = None,
                          private_document: dict | None = None, now: int | None = None) -> dict:
    """New RSA and SM2 keys for password encryption through the rotation's steps; returns what /api/v3/system will
    publish. The replaced keys still decrypt for PASSWORD_KEY_OVERLAP_SECONDS, for clients that fetched the old
    public key. Given keys (`private_document`, the local stack's fixed demo keys) replace the current ones outright."""
    if private_document is not None:
        private_document, public_update = keyring.password_key_documents(private_document)
        _write_json_secret(target.password_keys_secret_id, private_document)
        _write_json_secret(target.public_keys_secret_id,
                           {**_read_json_secret(target.public_keys_secret_id), **public_update})
        return public_update["password_encryption"]
    _refuse_weak_rsa(rsa_bits)
    store = target.key_store(rsa_bits=rsa_bits, rsa_padding=rsa_padding)
    rotation.rotate(aws.client("secretsmanager"), store, target.password_keys_secret_id, now)
    return _read_json_secret(target.public_keys_secret_id)["password_encryption"]


# -- moving users here (docs/moving-users.md) ---------------------------------------------------------------------------

def _upstream_secret_id(target: Target) -> str:
    if not target.upstream_secret_id:
        raise ValueError("this stack has no upstream secret: deploy this version first (make deploy)")
    return target.upstream_secret_id


def set_upstream(target: Target, issuer: str, client_id: str, client_secret: str, token_endpoint: str = "",
                 jwks_uri: str = "") -> dict:
    """Turn lazy migration on: TokenFunction reads the secret within KeyCacheSeconds, no deploy needed (once the
    stack has LazyMigration=true). Pinned endpoints replace the discovery document's, which must otherwise be on the
    issuer's own origin."""
    from oidc_core.login import upstream  # imported here: it brings Powertools' Logger (see _check_client_settings)

    pinned = {name: url for name, url in (("token_endpoint", token_endpoint), ("jwks_uri", jwks_uri)) if url}
    document = {"issuer": issuer, "client_id": client_id, "client_secret": client_secret, **pinned}
    checked = upstream.parse_settings(document)
    _write_json_secret(_upstream_secret_id(target), {**document, "issuer": checked.issuer})
    return show_upstream(target)


def show_upstream(target: Target) -> dict:
    """The upstream in force, never its secret."""
    document = _read_json_secret(_upstream_secret_id(target))
    if not document:
        return {"upstream": "off"}
    return {"upstream": "on", "issuer": document.get("issuer"), "client_id": document.get("client_id"),
            "client_secret": "set" if document.get("client_secret") else "missing",
            **{name: document[name] for name in ("token_endpoint", "jwks_uri") if document.get(name)}}


def upstream_off(target: Target) -> dict:
    _write_json_secret(_upstream_secret_id(target), {})
    return show_upstream(target)


def migration_status(target: Target) -> dict:
    """How far the move has come: users in all, those still on an imported hash (by algorithm), those waiting for
    their first login through the upstream, those the upstream migrated. Scans the users table: an operator's look,
    never a request path."""
    from collections import Counter

    from oidc_core.passwords import imported

    total = waiting = migrated = 0
    on_imported: Counter = Counter()
    for page in aws.client("dynamodb").get_paginator("scan").paginate(
            TableName=target.users_table, ProjectionExpression="pk, password_hash, migrated_at, imported_from"):
        for item in page["Items"]:
            if not item["pk"]["S"].startswith("user#"):
                continue
            total += 1
            stored = item.get("password_hash", {}).get("S", "")
            if "migrated_at" in item:
                migrated += 1
            if not stored:
                waiting += 1
            elif not imported.is_native(stored):
                on_imported[imported.algorithm_of(stored)] += 1
    return {"users": total, "on_imported_hash": dict(sorted(on_imported.items())),
            "on_imported_hash_total": sum(on_imported.values()), "waiting_for_upstream_login": waiting,
            "migrated_by_upstream": migrated}
