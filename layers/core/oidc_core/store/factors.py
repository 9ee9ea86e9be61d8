"""A user's TOTP secret and recovery codes in the users table, each an item of its own beside the user's.

    totp#<sub>      sealed_secret (bytes, oidc_core.factors.sealed_secrets), created_at, last_step, last_used_at,
                    and while an enrolment waits for its first code: pending_secret, pending_since
    recovery#<sub>  codes (a string set of digests, oidc_core.factors.recovery_codes), created_at, last_used_at

Items of their own rather than attributes of `user#<sub>`: IAM's dynamodb:LeadingKeys and dynamodb:Attributes can then
let the login path spend a time step or a recovery code (and nothing else), and let only the account page enrol,
while no function that updates the user record (a password hash, a session epoch) can touch a factor. They live in
the users table, not the tokens table, because they are the account's own data: kept (no TTL), backed up with it.

Every rule that must hold under concurrency is a condition of the one write that spends: a time step is taken only
if it is later than the last one taken, a recovery code only if it is still in the set. Two requests racing with the
same code both send the write; DynamoDB lets exactly one through.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.store.dynamo import get_items, to_item


def totp_key(sub: str) -> dict:
    return {"pk": {"S": f"totp#{sub}"}}


def recovery_key(sub: str) -> dict:
    return {"pk": {"S": f"recovery#{sub}"}}


@dataclass(frozen=True)
class TotpFactor:
    """The stored TOTP factor. `sealed_secret` is None until an enrolment is confirmed by a first code."""

    sealed_secret: bytes | None
    last_step: int
    created_at: int
    last_used_at: int
    pending_secret: bytes | None
    pending_since: int

    @property
    def active(self) -> bool:
        return self.sealed_secret is not None

    @classmethod
    def from_record(cls, record: dict) -> TotpFactor:
        return cls(
            sealed_secret=_bytes(record.get("sealed_secret")),
            last_step=int(record.get("last_step", -1)),
            created_at=int(record.get("created_at", 0)),
            last_used_at=int(record.get("last_used_at", 0)),
            pending_secret=_bytes(record.get("pending_secret")),
            pending_since=int(record.get("pending_since", 0)),
        )


@dataclass(frozen=True)
class RecoveryCodes:
    digests: frozenset[str]
    created_at: int
    last_used_at: int

    @property
    def left(self) -> int:
        return len(self.digests)

    @classmethod
    def from_record(cls, record: dict) -> RecoveryCodes:
        return cls(digests=frozenset(record.get("codes", ())), created_at=int(record.get("created_at", 0)),
                   last_used_at=int(record.get("last_used_at", 0)))


def _bytes(value) -> bytes | None:
    # boto3 reads a binary attribute back as a Binary wrapper; the callers want plain bytes.
    return bytes(value.value if hasattr(value, "value") else value) if value is not None else None


def read_totp_and_recovery_codes(table: str, sub: str) -> tuple[TotpFactor | None, RecoveryCodes | None]:
    """Both items in one strongly consistent round trip (a factor removed a moment ago no longer counts)."""
    found = get_items({"totp": (table, totp_key(sub)), "recovery": (table, recovery_key(sub))})
    return (TotpFactor.from_record(found["totp"]) if found["totp"] else None,
            RecoveryCodes.from_record(found["recovery"]) if found["recovery"] else None)


def _update(table: str, key: dict, expression: str, values: dict, condition: str | None = None) -> bool:
    """One UpdateItem; False when its condition does not hold."""
    request = {"TableName": table, "Key": key, "UpdateExpression": expression,
               "ExpressionAttributeValues": to_item(values)}
    if condition:
        request["ConditionExpression"] = condition
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
    return True


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def begin_totp_enrolment(table: str, sub: str, sealed_secret: bytes, now: int | None = None) -> None:
    """Keep a new secret until its first code confirms it; a secret in use stays in use until then."""
    _update(table, totp_key(sub), "SET pending_secret = :secret, pending_since = :now",
            {":secret": sealed_secret, ":now": _now(now)})


def confirm_totp_enrolment(table: str, sub: str, sealed_secret: bytes, step: int, now: int | None = None) -> bool:
    """The pending secret becomes the factor, the step of its first code already spent. False when the pending
    secret is no longer the one the code was checked against (a newer enrolment began, or it was confirmed)."""
    return _update(
        table, totp_key(sub),
        "SET sealed_secret = :secret, last_step = :step, created_at = :now, last_used_at = :now "
        "REMOVE pending_secret, pending_since",
        {":secret": sealed_secret, ":step": step, ":now": _now(now)},
        condition="pending_secret = :secret")


def spend_totp_step(table: str, sub: str, step: int, now: int | None = None) -> bool:
    """Take a time step once: True only if it is later than every step taken before (RFC 6238 §5.2: a code is
    accepted once); a replay of that step or an older one, even at the same instant, gets False. Only a confirmed
    factor has a last_step (a comparison with a missing attribute is false), so the condition names no other
    attribute, and IAM can limit this write to last_step and last_used_at."""
    return _update(table, totp_key(sub), "SET last_step = :step, last_used_at = :now",
                   {":step": step, ":now": _now(now)}, condition="last_step < :step")


def remove_totp(table: str, sub: str) -> None:
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").delete_item(TableName=table, Key=totp_key(sub))


def replace_recovery_codes(table: str, sub: str, digests: set[str], now: int | None = None) -> None:
    """A new set, written over the old one in one put: no code of the old set is accepted after it."""
    item = {"pk": f"recovery#{sub}", "sub": sub, "codes": set(digests), "created_at": _now(now)}
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").put_item(TableName=table, Item=to_item(item))


def spend_recovery_code(table: str, sub: str, digest: str, now: int | None = None) -> bool:
    """Remove one code's digest if it is still there; True for exactly one of any number of racing requests."""
    return _update(table, recovery_key(sub), "DELETE codes :spent SET last_used_at = :now",
                   {":spent": {digest}, ":digest": digest, ":now": _now(now)},
                   condition="contains(codes, :digest)")


def remove_recovery_codes(table: str, sub: str) -> None:
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").delete_item(TableName=table, Key=recovery_key(sub))
