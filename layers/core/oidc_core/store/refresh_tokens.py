"""Refresh tokens (RFC 6749 §6) and the families they form, in the tokens table.

A login that grants offline_access starts a family (`pk = family#<id>`): one item that remembers who logged in, to
which client, with which scopes and when, and the SHA-256 digests of the family's live token (`live_digest`) and
of the one it replaced (`previous_digest`). Every refresh token descends from one login, so revoking the family revokes them all.
Only digests are stored: a refresh token carries 256 random bits, so a stolen table reveals no usable token.

A token is base64url(version ‖ family id ‖ secret ‖ sub). The sub is no secret (the client has it in every id_token);
carrying it lets one BatchGetItem read the client, the family and the user together. It is checked against the
family, so changing it only makes the token unknown.

Every change is one conditional write on the family item, so parallel refreshes with one token cannot both win: a
family has one live digest at any moment, and so at most one live token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import from_item, to_item
from oidc_core.store.users import MAX_SUB_LENGTH, User

_VERSION = 1
_FAMILY_ID_BYTES = 16
_SECRET_BYTES = 32
# The longest token there can be (a sub of MAX_SUB_LENGTH characters of 4 UTF-8 bytes each), in base64url; anything
# longer is refused before decoding.
MAX_TOKEN_LENGTH = -(-(1 + _FAMILY_ID_BYTES + _SECRET_BYTES + 4 * MAX_SUB_LENGTH) * 4 // 3)


@dataclass(frozen=True)
class PresentedToken:
    family_id: str
    sub: str
    digest: str

    def matches(self, stored_digest: str | None) -> bool:
        return bool(stored_digest) and hmac.compare_digest(self.digest, stored_digest)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _mint(family_id: str, sub: str) -> str:
    raw = bytes([_VERSION]) + bytes.fromhex(family_id) + secrets.token_bytes(_SECRET_BYTES) + sub.encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def parse(token: str | None) -> PresentedToken | None:
    """The family and user a token names, or None when it is not one of our refresh tokens."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        sub = raw[1 + _FAMILY_ID_BYTES + _SECRET_BYTES:].decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if raw[:1] != bytes([_VERSION]) or not sub:
        return None
    return PresentedToken(family_id=raw[1:1 + _FAMILY_ID_BYTES].hex(), sub=sub, digest=_digest(token))


def family_key(family_id: str) -> dict:
    return {"pk": {"S": f"family#{family_id}"}}


@dataclass(frozen=True)
class Family:
    family_id: str
    sub: str
    client_id: str
    scopes: tuple[str, ...]
    auth_time: int
    created_at: int
    absolute_expires_at: int  # RefreshTokenTtl after the login; refreshing never extends it
    expires_at: int  # the earlier of that and the idle limit; the table's TTL attribute
    live_digest: str
    previous_digest: str | None  # the token the live one replaced, accepted again within the grace window
    rotated_at: int | None
    revoked_at: int | None
    epochs: tuple[int, int]  # the user's session epochs (all clients, this client) when the family began

    @classmethod
    def from_record(cls, record: dict) -> Family:
        return cls(
            family_id=record["pk"].removeprefix("family#"),
            sub=record["sub"],
            client_id=record["client_id"],
            scopes=tuple(record["scope"].split()),
            auth_time=int(record["auth_time"]),
            created_at=int(record["created_at"]),
            absolute_expires_at=int(record["absolute_expires_at"]),
            expires_at=int(record["expires_at"]),
            live_digest=record["live_digest"],
            previous_digest=record.get("previous_digest"),
            rotated_at=record.get("rotated_at"),
            revoked_at=record.get("revoked_at"),
            epochs=(int(record.get("user_epoch", 0)), int(record.get("client_epoch", 0))),
        )

    def usable(self, now: int) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def outlived_by(self, user: User | None) -> bool:
        """True when the session this family is has ended: the user is gone or blocked, or signed out, changed the
        password or was signed out of this client since the login (the epochs moved on)."""
        return user is None or user.blocked or user.session_epochs(self.client_id) != self.epochs

    def next_expiry(self, settings: Settings, now: int) -> int:
        return min(self.absolute_expires_at, now + settings.refresh_token_idle_ttl)


def new_family_id() -> str:
    return secrets.token_bytes(_FAMILY_ID_BYTES).hex()


def start_family(settings: Settings, *, sub: str, client_id: str, scopes, auth_time: int, epochs: tuple[int, int],
                 now: int, family_id: str | None = None) -> str | None:
    """A new family for a login; returns its first refresh token. A `family_id` chosen beforehand (the code grant
    records it first) may have been revoked already by a code's second redemption: then None, and no token."""
    family_id = family_id or new_family_id()
    token = _mint(family_id, sub)
    absolute = now + settings.refresh_token_ttl
    record = {
        "pk": f"family#{family_id}",
        "sub": sub,
        "client_id": client_id,
        "scope": " ".join(scopes),
        "auth_time": auth_time,
        "created_at": now,
        "absolute_expires_at": absolute,
        "expires_at": min(absolute, now + settings.refresh_token_idle_ttl),
        "live_digest": _digest(token),
        "user_epoch": epochs[0],
        "client_epoch": epochs[1],
    }
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").put_item(TableName=settings.tokens_table, Item=to_item(record),
                                            ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return None
    return token


def _conditional_update(settings: Settings, family: Family, expression: str, condition: str, values: dict) -> dict | None:
    """None when the write happened; the family's record as it stands when the condition failed."""
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(
                TableName=settings.tokens_table, Key=family_key(family.family_id), UpdateExpression=expression,
                ConditionExpression=condition, ExpressionAttributeValues=to_item(values),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return from_item(error.response.get("Item") or {"pk": {"S": ""}})
    return None


def rotate(settings: Settings, family: Family, presented: PresentedToken, now: int, *, grace_retry: bool
           ) -> tuple[str | None, Family | None]:
    """Replace the presented token with a new one: the live token (grace_retry False), or the one it replaced,
    within the grace window (True). Returns (new token, None), or (None, the family as it now stands) when a
    concurrent change got there first (None for the family if it is gone)."""
    token = _mint(family.family_id, family.sub)
    values = {":new": _digest(token), ":presented": presented.digest, ":expires": family.next_expiry(settings, now)}
    if grace_retry:
        # The retry's token becomes the live one; the token the first refresh handed out dies with it, and the used
        # token is honoured this once: a second replay matches no digest, which is reuse.
        expression = "SET live_digest = :new, expires_at = :expires REMOVE previous_digest"
        condition = "previous_digest = :presented AND rotated_at > :grace_start AND attribute_not_exists(revoked_at)"
        values[":grace_start"] = now - settings.refresh_token_grace_seconds
    else:
        expression = "SET previous_digest = live_digest, live_digest = :new, rotated_at = :now, expires_at = :expires"
        condition = "live_digest = :presented AND attribute_not_exists(revoked_at)"
        values[":now"] = now
    stood = _conditional_update(settings, family, expression, condition, values)
    if stood is None:
        return token, None
    return None, Family.from_record(stood) if stood.get("pk") else None


def keep(settings: Settings, family: Family, presented: PresentedToken, now: int) -> bool:
    """Without rotation: the same token stays live; refreshing only moves the idle limit."""
    stood = _conditional_update(
        settings, family, "SET expires_at = :expires",
        "live_digest = :presented AND attribute_not_exists(revoked_at)",
        {":presented": presented.digest, ":expires": family.next_expiry(settings, now)},
    )
    return stood is None


def revoke_before_it_starts(settings: Settings, family_id: str, reason: str, now: int, keep_until: int) -> None:
    """Revoke a family whose first token may not be issued yet: a revoked marker in its place makes the
    start_family that comes later fail, so the token is never handed out."""
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key=family_key(family_id),
            UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now), revoke_reason = :reason, "
                             "expires_at = if_not_exists(expires_at, :keep)",
            ExpressionAttributeValues=to_item({":now": now, ":reason": reason, ":keep": keep_until}),
        )


def revoke(settings: Settings, family_id: str, reason: str, now: int) -> None:
    """Revoke every token of the family. The item stays until it expires, so a replayed token is still recognised."""
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(
                TableName=settings.tokens_table, Key=family_key(family_id),
                UpdateExpression="SET revoked_at = :now, revoke_reason = :reason",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(revoked_at)",
                ExpressionAttributeValues=to_item({":now": now, ":reason": reason}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
