"""The counters that limit how often codes are sent, in the tokens table, each moved by one conditional write, so a
limit holds exactly however many requests run at once (the lockout's way):

- `sendgap#<channel|address digest>`: when a code last went to the address for the channel (one per 60 s);
- `sendday#<address digest>#<UTC day>`: sends to the address that day, every channel together;
- `sendip#<IP digest>#<UTC hour>`: send requests from the address that hour;
- `smsday#<UTC day>`: every SMS of the deployment that day (the budget).

Counts are per fixed window (an hour, a UTC day), so up to twice a limit can pass across a window's edge; each item
expires with its window (TTL on expires_at). Addresses and IPs appear in keys only as digests. Every function returns
0 when the send may go ahead, else the seconds until it may (a Retry-After).
"""

from __future__ import annotations

import hashlib

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import condition_failed, to_item

HOUR, DAY = 3600, 86400


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def claim_resend_slot(settings: Settings, *, channel: str, address: str, now: int, interval: int) -> int:
    """Record a send to the address for the channel unless one was recorded less than `interval` seconds ago."""
    key = {"pk": {"S": f"sendgap#{_digest(f'{channel}|{address}')}"}}
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(
                TableName=settings.tokens_table, Key=key, UpdateExpression="SET sent_at = :now, expires_at = :until",
                ConditionExpression="attribute_not_exists(sent_at) OR sent_at <= :earliest",
                ExpressionAttributeValues=to_item({":now": now, ":until": now + interval, ":earliest": now - interval}),
                ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ClientError as error:
            if not condition_failed(error):
                raise
            last = int(error.response.get("Item", {}).get("sent_at", {}).get("N", now))
            return max(1, last + interval - now)
    return 0


def count_address_send(settings: Settings, *, address: str, now: int, limit: int) -> int:
    day = now // DAY
    return _count_up_to(settings, f"sendday#{_digest(address)}#{day}", limit, (day + 1) * DAY, now)


def count_ip_send(settings: Settings, *, source_ip: str, now: int, limit: int) -> int:
    hour = now // HOUR
    return _count_up_to(settings, f"sendip#{_digest(source_ip)}#{hour}", limit, (hour + 1) * HOUR, now)


def spend_sms_budget(settings: Settings, *, now: int, limit: int) -> int:
    day = now // DAY
    return _count_up_to(settings, f"smsday#{day}", limit, (day + 1) * DAY, now)


def _count_up_to(settings: Settings, pk: str, limit: int, window_end: int, now: int) -> int:
    """Add one to the window's count unless it has reached the limit; 0, or the seconds until the window ends."""
    if limit <= 0:  # a limit of 0 stops sends; the condition below would let a first one through
        return max(1, window_end - now)
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(
                TableName=settings.tokens_table, Key={"pk": {"S": pk}},
                UpdateExpression="SET expires_at = :end ADD sends :one",
                ConditionExpression="attribute_not_exists(sends) OR sends < :limit",
                ExpressionAttributeValues=to_item({":one": 1, ":limit": limit, ":end": window_end}))
        except ClientError as error:
            if not condition_failed(error):
                raise
            return max(1, window_end - now)
    return 0
