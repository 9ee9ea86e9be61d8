"""Protection against online password guessing: lockout decided before any hashing, exact under concurrency.

Failed password checks are counted in the tokens table per account and source IP (`lock#pair#…`) and per account
from anywhere (`lock#user#…`). The account is the user's sub, or the login identifier when it names nobody (so a
fast "locked" answer cannot tell a caller whether an account exists). The pair locks first (default 5 failures), so
one attacker cannot lock a user out everywhere; the account locks at a higher count (default 20) reached from many
addresses. A lock lasts a wait that doubles with each further failure, up to a maximum; a success resets both.

Exactness: an attempt is reserved on the pair counter before the hash, by one conditional write that adds one to
the count and passes only while the count is under the threshold, or once the lock has run out (it then sets a short
provisional lock, so only one request at a time gets the next try; its failure sets the real wait). So of any number
of parallel requests from one address, no more than the threshold reach Argon2id. The account counter is read in
the same round trip (with the user, one BatchGetItem) and counts the failures that were checked: requests that never
reached a check (refused by their pair) do not count against the account, which is what keeps one address from
locking a user out everywhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
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
class Attempt:
    """One password check's standing with the two counters of its account and address."""

    pair_key: str
    account_key: str
    pair_attempts: int | None  # the pair's count including this attempt; None: the pair is locked
    locked_until: int  # when the attempt is locked: the moment the later of the two locks opens
    account_counted: bool = True  # the account counter existed when read: a success has it to delete

    @property
    def locked(self) -> bool:
        return self.pair_attempts is None or self.locked_until > 0


def keys(account: str, source_ip: str) -> tuple[str, str]:
    """(pair, account) counter keys for an account ("sub:<sub>" or "identifier:<key>") seen from an address."""
    account_digest = _digest(account)
    return f"lock#pair#{account_digest}#{_digest(source_ip)}", f"lock#user#{account_digest}"


def reserve_pair(settings: Settings, pair_key: str, now: float) -> tuple[int | None, int]:
    """Reserve one check on the pair: (the count including it, 0), or (None, when its lock opens)."""
    try:
        answer = aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key={"pk": {"S": pair_key}},
            UpdateExpression="SET attempts = if_not_exists(attempts, :zero) + :one, locked_until = :provisional, "
                             "expires_at = :expires",
            ConditionExpression="attribute_not_exists(attempts) OR attempts < :threshold OR locked_until <= :now",
            ExpressionAttributeValues=to_item({
                ":zero": 0, ":one": 1, ":threshold": settings.lockout.pair_threshold, ":now": int(now),
                ":provisional": int(now) + PROVISIONAL_LOCK_SECONDS, ":expires": int(now) + _retention(settings),
            }),
            ReturnValues="UPDATED_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None, int((error.response.get("Item") or {}).get("locked_until", {}).get("N", "0"))
        raise
    return int(answer["Attributes"]["attempts"]["N"]), 0


def account_read(settings: Settings, account_key: str) -> tuple[str, dict]:
    """The account counter as an item to read (table, key), in the same BatchGetItem as the user."""
    return settings.tokens_table, {"pk": {"S": account_key}}


def account_locked_until(settings: Settings, record: dict | None, now: float) -> int:
    """When the account's lock opens (0: not locked), from its counter (None: no failures counted)."""
    record = record or {}
    failures = int(record.get("failures", 0))
    until = int(record.get("last_failure_at", 0)) + wait_after(settings, failures, settings.lockout.user_threshold)
    return until if failures >= settings.lockout.user_threshold and until > now else 0


def decide(account: str, source_ip: str, pair: tuple[int | None, int], account_until: int,
           account_counted: bool = True) -> Attempt:
    pair_key, account_key = keys(account, source_ip)
    pair_attempts, pair_until = pair
    return Attempt(pair_key, account_key, pair_attempts,
                   max(pair_until, account_until) if pair_attempts is None or account_until else 0, account_counted)


def failure_writes(settings: Settings, attempt: Attempt, now: float) -> list:
    """The writes after a failure, to run in parallel: the pair's lock as earned, the account's count. An attempt
    that was refused unchecked makes writes of the same number that count nothing, so it does the same work."""
    checked = not attempt.locked
    return [lambda: _after_pair_failure(settings, attempt, now, checked),
            lambda: _count_account_failure(settings, attempt.account_key, now, checked)]


def _after_pair_failure(settings: Settings, attempt: Attempt, now: float, checked: bool) -> None:
    if checked:
        # Only the latest reservation sets the lock: a slow failure with a lower count must not shorten a later one's.
        wait = wait_after(settings, attempt.pair_attempts, settings.lockout.pair_threshold)
        expression, condition = "SET locked_until = :until", "attempts = :attempts"
        values = {":until": int(now) + wait, ":attempts": attempt.pair_attempts}
    else:
        # Reserved but never checked (the account was locked): the pair gets its attempt back. Not reserved (the
        # pair itself was locked): the same write, which matches nothing.
        expression, condition = "ADD attempts :minus_one", "attempts >= :reserved"
        values = {":minus_one": -1, ":reserved": 1 if attempt.pair_attempts else 1 << 62}
    try:
        aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key={"pk": {"S": attempt.pair_key}}, UpdateExpression=expression,
            ConditionExpression=condition, ExpressionAttributeValues=to_item(values))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _count_account_failure(settings: Settings, account_key: str, now: float, checked: bool) -> None:
    if checked:
        aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key={"pk": {"S": account_key}},
            UpdateExpression="ADD failures :one SET last_failure_at = :now, expires_at = :expires",
            ExpressionAttributeValues=to_item({":one": 1, ":now": int(now),
                                               ":expires": int(now) + _retention(settings)}))
        return
    # Unchecked attempts count nothing and must not move the lock on (or hammering would keep an account locked):
    # the same write, which changes nothing.
    try:
        aws.client("dynamodb").update_item(
            TableName=settings.tokens_table, Key={"pk": {"S": account_key}}, UpdateExpression="ADD failures :zero",
            ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues=to_item({":zero": 0}))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def release_writes(settings: Settings, attempt: Attempt, now: float) -> list:
    """An attempt reserved but never checked because a dependency failed (the lazy migration's upstream): the pair
    gets its attempt back and the account counts nothing, as for an attempt the account's lock refused."""
    return [lambda: _after_pair_failure(settings, attempt, now, checked=False)]


def reset_writes(settings: Settings, attempt: Attempt) -> list:
    """After a success, both counts start afresh. The pair counter always exists (this attempt reserved on it); the
    account counter only after a failure, and deleting one that was not there is a write (and a round trip's CPU)
    for nothing. A failure counted after the read is not lost by skipping it: the delete would have erased it."""
    counters = (attempt.pair_key, attempt.account_key) if attempt.account_counted else (attempt.pair_key,)
    return [lambda key=key: aws.client("dynamodb").delete_item(TableName=settings.tokens_table, Key={"pk": {"S": key}})
            for key in counters]


def _retention(settings: Settings) -> int:
    # A counter outlives its longest lock, then the table's TTL removes it: quiet accounts start afresh.
    return settings.lockout.max_wait_seconds + 24 * 3600

