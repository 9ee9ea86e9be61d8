"""Protection against online password guessing: exact lockout under concurrency, decided before any hashing.

Failed password checks are counted in the tokens table, per account and source IP (`lock#pair#…`) and per account
from anywhere (`lock#user#…`), where the account is the user's sub, or the login identifier when it names nobody
(so a fast "locked" answer cannot tell a caller whether an account exists). The pair locks first, so one attacker
cannot lock a user out everywhere; the account locks at a higher count. A lock lasts a wait that doubles with each
further failure, up to a maximum; a success resets both counts.

Exactness comes from reserving an attempt before the hash: one conditional write per counter adds one to the count
and passes only while the count is under the threshold, or once a lock has run out. So of any number of parallel
requests, no more than the threshold ever reach Argon2id. A reservation that passes once a lock ran out also sets a
short provisional lock, so that only one request at a time gets the next try; the failure then sets the real wait.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.dynamo import to_item

# Long enough for one Argon2id verification and the writes around it on a slow container.
PROVISIONAL_LOCK_SECONDS = 10


def _digest(value: str) -> str:
    # Counter keys name an account and an IP; a digest keeps identifiers out of the table's keys.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Counter:
    key: str
    threshold: int


def counters(settings: Settings, account: str, source_ip: str) -> tuple[Counter, Counter]:
    """(pair, account) counters for an account ("sub:<sub>" or "identifier:<key>") seen from an IP."""
    account_digest = _digest(account)
    return (Counter(f"lock#pair#{account_digest}#{_digest(source_ip)}", settings.lockout.pair_threshold),
            Counter(f"lock#user#{account_digest}", settings.lockout.user_threshold))


def _key(counter: Counter) -> dict:
    return {"pk": {"S": counter.key}}


@dataclass(frozen=True)
class Reservation:
    attempts: int | None  # the count including this attempt; None when the counter is locked
    locked_until: int = 0  # when locked: the moment it opens


def reserve(settings: Settings, counter: Counter, now: float) -> Reservation:
    """Reserve one password check on a counter, or learn that it is locked."""
    try:
        answer = aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key=_key(counter),
            UpdateExpression="SET attempts = if_not_exists(attempts, :zero) + :one, locked_until = :provisional, "
                             "expires_at = :expires",
            ConditionExpression="attribute_not_exists(attempts) OR attempts < :threshold OR locked_until <= :now",
            ExpressionAttributeValues=to_item({
                ":zero": 0, ":one": 1, ":threshold": counter.threshold, ":now": int(now),
                ":provisional": int(now) + PROVISIONAL_LOCK_SECONDS, ":expires": int(now) + _retention(settings),
            }),
            ReturnValues="UPDATED_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            locked_until = (error.response.get("Item") or {}).get("locked_until", {}).get("N", "0")
            return Reservation(None, int(locked_until))
        raise
    return Reservation(int(answer["Attributes"]["attempts"]["N"]))


def wait_after(settings: Settings, attempts: int, threshold: int) -> int:
    """Seconds locked after `attempts` failures: none below the threshold, then doubling up to the maximum."""
    if attempts < threshold:
        return 0
    return min(settings.lockout.max_wait_seconds, settings.lockout.base_wait_seconds * 2 ** (attempts - threshold))


def record_failure(settings: Settings, counter: Counter, attempts: int, now: float) -> None:
    """After a failed check: lock for the wait the count has earned (the reservation already counted the failure).
    Only the latest reservation sets the lock: a slow failure with a lower count must not shorten a later one's."""
    try:
        aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key=_key(counter),
            UpdateExpression="SET locked_until = :until",
            ConditionExpression="attempts = :attempts",
            ExpressionAttributeValues=to_item({
                ":until": int(now) + wait_after(settings, attempts, counter.threshold), ":attempts": attempts}),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def reset(settings: Settings, counter: Counter) -> None:
    aws.client("dynamodb").delete_item(TableName=settings.tokens_table, Key=_key(counter))


def _retention(settings: Settings) -> int:
    # A counter outlives its longest lock, then the table's TTL removes it: quiet accounts start afresh.
    return settings.lockout.max_wait_seconds + 24 * 3600
