"""Password reset tokens (Authing's `passwordResetToken`) in the tokens table: `pk = pwreset#<SHA-256 of the token>`,
the user's sub, and when it expires (the table's TTL attribute; reads compare the time too, since TTL deletion lags).

A token is 256 random bits, so a plain SHA-256 digest is enough: a copy of the table yields no usable token. It is
single use: redeeming it is one conditional delete, so of two requests with one token exactly one succeeds.
"""

from __future__ import annotations

import hashlib
import secrets

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import condition_failed, from_item, to_item

PREFIX = "pwreset#"
TTL_SECONDS = 600  # long enough to choose a password, short enough that a token left in a log is soon worthless
MAX_TOKEN_LENGTH = 64  # longer than any token issued here: refused before hashing


def _key(token: str) -> dict:
    return {"pk": {"S": PREFIX + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()}}


def issue(settings: Settings, *, sub: str, now: int) -> str:
    token = secrets.token_urlsafe(32)
    record = {"pk": _key(token)["pk"]["S"], "sub": sub, "issued_at": now, "expires_at": now + TTL_SECONDS}
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").put_item(TableName=settings.tokens_table, Item=to_item(record))
    return token


def holder(settings: Settings, token: object, now: int) -> str | None:
    """The sub a live token was issued for, without using it up; None for anything else."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    with aws.dependency("dynamodb"):
        found = aws.client("dynamodb").get_item(TableName=settings.tokens_table, Key=_key(token), ConsistentRead=True)
    record = from_item(found["Item"]) if "Item" in found else None
    return record["sub"] if record and int(record["expires_at"]) > now else None


def redeem(settings: Settings, token: str, *, sub: str, now: int) -> bool:
    """Use the token up: True once, for the first request that gets here while it lives."""
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").delete_item(
                TableName=settings.tokens_table, Key=_key(token),
                ConditionExpression="#sub = :sub AND expires_at > :now", ExpressionAttributeNames={"#sub": "sub"},
                ExpressionAttributeValues=to_item({":sub": sub, ":now": now}))
        except ClientError as error:
            if not condition_failed(error):
                raise
            return False
    return True
