"""Protection against online password guessing: lockout decided before any hashing, exact under concurrency.

Failed password checks are counted in the tokens table per account and source IP (`lock#pair#…`) and per account
from anywhere (`lock#user#…`). The account is the user's sub, or the login identifier when it names nobody (so a
fast "locked" answer cannot tell a caller whether an account exists). The pair locks first (default 5 failures), so
one attacker cannot lock a user out everywhere; the account locks at a higher count (default 20) reached from many
addresses. A lock lasts a wait that doubles with each further failure, up to a maximum; a success resets both.

Exactness: an attempt is reserved on both counters before the hash, in the same round trip (two conditional writes
side by side, with the read of the user). Each adds one to its counter's count and passes only while the count is
under its threshold, or once its lock has run out (it then sets a short provisional lock, so only one request at a
time gets the next try; its failure sets the real wait). So of any number of parallel requests, no more than the pair
threshold from one address, and no more than the account threshold from all addresses together, reach Argon2id.
An attempt one counter refused gives the other its reservation back after the check it did not get: requests that
never reached a check (refused by their pair) do not count against the account, which is what keeps one address from
locking a user out everywhere. While such a request is in flight its reservation still counts, so a burst of them can
refuse concurrent attempts from elsewhere for that long; the per-address throttle (ip_throttle) bounds the bursts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.observability import logger
from oidc_core.store.dynamo import to_item

# Long enough for one Argon2id verification and the writes around it on a slow container.
PROVISIONAL_LOCK_SECONDS = 10


def _digest(value: str) -> str:
    # Counter keys name an account and an address; a digest keeps identifiers and addresses out of the keys.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def wait_after(settings: Settings, failures: int, threshold: int) -> int:
    """Seconds locked after `failures` failures: none below the threshold, then doubling up to the maximum."""
    if failures < threshold:
        return 0
    doublings = min(failures - threshold, 40)  # past 2**40 × the base every wait is the maximum anyway
    return min(settings.lockout.max_wait_seconds, settings.lockout.base_wait_seconds * 2 ** doublings)


@dataclass(frozen=True)
class Reservation:
    """A counter's answer to one attempt."""

    attempts: int | None  # the count including this attempt; None: refused, the counter is locked
    locked_until: int = 0  # refused: when the counter's lock opens

    @property
    def refused(self) -> bool:
        return self.attempts is None


@dataclass(frozen=True)
class Attempt:
    """One password check's standing with the two counters of its account and address."""

    pair_key: str
    account_key: str
    pair: Reservation
    account: Reservation

    @property
    def locked(self) -> bool:
        return self.pair.refused or self.account.refused

    @property
    def locked_until(self) -> int:
        """When a locked attempt's locks open: the later of the counters that refused it."""
        return max((each.locked_until for each in (self.pair, self.account) if each.refused), default=0)


def keys(account: str, source_ip: str) -> tuple[str, str]:
    """(pair, account) counter keys for an account ("sub:<sub>" or "identifier:<key>") seen from an address."""
    account_digest = _digest(account)
    return f"lock#pair#{account_digest}#{_digest(source_ip)}", f"lock#user#{account_digest}"


def reserve(settings: Settings, key: str, threshold: int, now: float) -> Reservation:
    """Reserve one check on a counter (the pair's or the account's), by one conditional write."""
    try:
        answer = aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key={"pk": {"S": key}},
            UpdateExpression="SET attempts = if_not_exists(attempts, :zero) + :one, locked_until = :provisional, "
                             "expires_at = :expires",
            ConditionExpression="attribute_not_exists(attempts) OR attempts < :threshold OR locked_until <= :now",
            ExpressionAttributeValues=to_item({
                ":zero": 0, ":one": 1, ":threshold": threshold, ":now": int(now),
                ":provisional": int(now) + PROVISIONAL_LOCK_SECONDS, ":expires": int(now) + _retention(settings),
            }),
            ReturnValues="UPDATED_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return Reservation(None, _number(error.response.get("Item"), "locked_until"))
        raise
    return Reservation(_number(answer["Attributes"], "attempts"))


def _number(item: dict | None, name: str) -> int:
    return int((item or {}).get(name, {}).get("N", "0"))


def failure_writes(settings: Settings, attempt: Attempt, now: float) -> list:
    """The writes after a failure, to run in parallel, one per counter: the lock as earned after a check; without a
    check, a reservation given back, or (refused) the same write that matches nothing, so every failure does the
    same work."""
    return _writes(settings, attempt, now, checked=not attempt.locked)


def release_writes(settings: Settings, attempt: Attempt, now: float) -> list:
    """An attempt reserved but never checked because a dependency failed (the lazy migration's upstream): both
    counters get their reservation back, and no lock moves."""
    return _writes(settings, attempt, now, checked=False)


def _writes(settings: Settings, attempt: Attempt, now: float, checked: bool) -> list:
    policy = settings.lockout
    return [lambda: _after_failure(settings, attempt.pair_key, attempt.pair, policy.pair_threshold, now, checked),
            lambda: _after_failure(settings, attempt.account_key, attempt.account, policy.user_threshold, now,
                                   checked)]


def _after_failure(settings: Settings, key: str, reservation: Reservation, threshold: int, now: float,
                   checked: bool) -> None:
    if checked:
        # Only the latest reservation sets the lock: a slow failure with a lower count must not shorten a later one's.
        expression, condition = "SET locked_until = :until", "attempts = :attempts"
        values = {":until": int(now) + wait_after(settings, reservation.attempts, threshold),
                  ":attempts": reservation.attempts}
    elif reservation.refused:
        expression, condition = "ADD attempts :minus_one", "attempts >= :never"
        values = {":minus_one": -1, ":never": 1 << 62}
    else:
        # Reserved but never checked: the count goes back (never below zero, and not into a counter a success deleted
        # meanwhile). Its provisional lock stays: it matters only past the threshold, where the counter's wait had
        # just run out, and it ends within PROVISIONAL_LOCK_SECONDS. Restoring the lock before it too would need the
        # count to be unchanged since, which other attempts' own give-backs do not promise.
        expression, condition = "ADD attempts :minus_one", "attempts >= :one"
        values = {":minus_one": -1, ":one": 1}
    try:
        aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key={"pk": {"S": key}}, UpdateExpression=expression,
            ConditionExpression=condition, ExpressionAttributeValues=to_item(values))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


RESET_TRIES = 3  # BatchWriteItem may leave items unprocessed under throttling: they are sent again this often


def reset_writes(settings: Settings, attempt: Attempt) -> list:
    """After a success, both counts start afresh (both exist: this attempt reserved on each): one BatchWriteItem of
    the two deletes, so a success costs one call for both counters (issue 27 point 10: it was one call each)."""
    return [lambda: _delete_both(settings, (attempt.pair_key, attempt.account_key))]


def _delete_both(settings: Settings, keys_: tuple[str, ...]) -> None:
    requests = {settings.tokens_table: [{"DeleteRequest": {"Key": {"pk": {"S": key}}}} for key in keys_]}
    for _ in range(RESET_TRIES):
        requests = aws.client("dynamodb").batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
        if not requests:
            return
    # Counts left behind only make the next failures lock sooner; the login itself succeeded, so it stands.
    logger.warning("lockout counters not reset", extra={"unprocessed": sum(len(items) for items in requests.values())})


def _retention(settings: Settings) -> int:
    # A counter outlives its longest lock, then the table's TTL removes it: quiet accounts start afresh.
    return settings.lockout.max_wait_seconds + 24 * 3600

