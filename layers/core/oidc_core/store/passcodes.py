"""One-time codes sent by email or SMS, in the tokens table: one item per channel and address,
`pk = passcode#<SHA-256 of channel|address>`, so a new code for the same purpose replaces the one before.

Only a digest of the code is stored, HMAC-SHA256 under a key the caller holds (not in the table) of
channel|address|code (the address length-prefixed): a code is bound to what it was sent for, and a copy of the table
alone cannot confirm any of the million codes. The item expires with the code (TTL on expires_at; reads check the
time too, since TTL deletion lags).

Checking a code is exact under concurrency, like the lockout: each try is first reserved by one conditional write
(tries < 5, not expired), so no more than 5 tries of a code are ever compared, whatever runs in parallel; the digest is
then compared in constant time, and a match deletes the item on condition that it still holds that digest, so exactly
one check of a code succeeds (single use), and a code replaced meanwhile succeeds for nobody.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import condition_failed, from_item, to_item

PREFIX = "passcode#"


class Verdict(enum.Enum):
    ACCEPTED = "accepted"  # the code was right, and is now used up
    WRONG = "wrong"  # a try was spent on a wrong code
    DEAD = "dead"  # no code to try: never sent, expired, used, or out of tries


def _key(channel: str, address: str) -> dict:
    digest = hashlib.sha256(f"{channel}|{address}".encode("utf-8", "surrogatepass")).hexdigest()
    return {"pk": {"S": PREFIX + digest}}


def code_digest(digest_key: bytes, channel: str, address: str, code: str) -> str:
    # The address's length is part of the message, so no other (address, code) pair can spell the same bytes, whatever
    # '|' the address or the code holds.
    message = f"{channel}|{len(address)}|{address}|{code}".encode("utf-8", "surrogatepass")
    return hmac.new(digest_key, message, hashlib.sha256).hexdigest()


def put(settings: Settings, *, channel: str, address: str, code: str, digest_key: bytes, now: int, ttl: int) -> None:
    """Store a code for the channel and address, replacing any earlier one (its tries start afresh; the send limits
    bound how often that can happen)."""
    record = {"pk": _key(channel, address)["pk"]["S"], "digest": code_digest(digest_key, channel, address, code),
              "tries": 0, "issued_at": now, "expires_at": now + ttl}
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").put_item(TableName=settings.tokens_table, Item=to_item(record))


def check(settings: Settings, *, channel: str, address: str, code: str, digest_key: bytes, now: int,
          max_tries: int) -> Verdict:
    """Try a code. A wrong code spends one of the code's tries; the right one is accepted once."""
    stored = _reserve_a_try(settings, _key(channel, address), now, max_tries)
    if stored is None:
        return Verdict.DEAD
    offered = code_digest(digest_key, channel, address, code)
    if not hmac.compare_digest(offered, stored):
        return Verdict.WRONG
    return Verdict.ACCEPTED if _use_up(settings, _key(channel, address), stored) else Verdict.DEAD


def _reserve_a_try(settings: Settings, key: dict, now: int, max_tries: int) -> str | None:
    """One try counted before any comparison; the stored digest, or None when the code cannot be tried."""
    with aws.dependency("dynamodb"):
        try:
            answer = aws.client("dynamodb").update_item(
                TableName=settings.tokens_table, Key=key, UpdateExpression="ADD tries :one",
                ConditionExpression="attribute_exists(pk) AND tries < :max AND expires_at > :now",
                ExpressionAttributeValues=to_item({":one": 1, ":max": max_tries, ":now": now}),
                ReturnValues="ALL_NEW")
        except ClientError as error:
            if not condition_failed(error):
                raise
            return None
    return from_item(answer["Attributes"])["digest"]


def _use_up(settings: Settings, key: dict, digest: str) -> bool:
    """Delete the code if it is still the one just matched; False when a concurrent check used it, or a new code
    replaced it, first."""
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").delete_item(
                TableName=settings.tokens_table, Key=key, ConditionExpression="digest = :digest",
                ExpressionAttributeValues=to_item({":digest": digest}))
        except ClientError as error:
            if not condition_failed(error):
                raise
            return False
    return True
