"""Throttling per source IP: failures of any kind (a wrong password, a failed client authentication) from one IP
over a sliding window beyond a threshold answer 429 with Retry-After, before any hashing.

The window is one item per address in the tokens table (`ipfail#<ip digest>`) holding a counter per bucket of
IP_FAILURE_WINDOW_SECONDS / BUCKETS seconds, named `f<bucket number>`. A failure adds to the current bucket and removes
the buckets that left the window before it (so the item stays small), and the TTL removes the item a window after the
last failure. It is read in the same BatchGetItem as the client: one item, whatever the window's length (a bucket per
item cost every request BUCKETS reads).
"""

from __future__ import annotations

import hashlib

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import to_item
from oidc_core.errors import OAuthError

BUCKETS = 24


def _bucket_seconds(settings: Settings) -> int:
    return max(1, settings.lockout.ip_window_seconds // BUCKETS)


def _key(source_ip: str) -> dict:
    digest = hashlib.sha256(source_ip.encode()).hexdigest()[:32]
    return {"pk": {"S": f"ipfail#{digest}"}}


def _current_bucket(settings: Settings, now: float) -> int:
    return int(now) // _bucket_seconds(settings)


def window_reads(settings: Settings, source_ip: str) -> dict:
    """The address's failure item, to read with the client (name -> (table, key))."""
    return {"ipfail": (settings.tokens_table, _key(source_ip))}


def over_limit(settings: Settings, found: dict, now: float) -> bool:
    """Whether the failures in the window ending now (the buckets of the item read with the client) reached the
    threshold; older buckets the item may still hold do not count."""
    counters = found.get("ipfail") or {}
    current = _current_bucket(settings, now)
    failures = sum(int(counters.get(f"f{bucket}", 0)) for bucket in range(current - BUCKETS + 1, current + 1))
    return failures >= settings.lockout.ip_failure_threshold


def too_many_requests(settings: Settings) -> OAuthError:
    # Retry-After: by then the oldest bucket has left the window.
    return OAuthError("too_many_requests", "too many failed requests from this address, retry later",
                      status_code=429, headers={"Retry-After": str(_bucket_seconds(settings))})


def record_failure(settings: Settings, source_ip: str, now: float) -> None:
    current = _current_bucket(settings, now)
    left_the_window = ", ".join(f"f{bucket}" for bucket in range(current - 2 * BUCKETS, current - BUCKETS + 1))
    aws.client("dynamodb").update_item(
        TableName=settings.tokens_table, Key=_key(source_ip),
        UpdateExpression=f"ADD f{current} :one SET expires_at = :expires REMOVE {left_the_window}",
        ExpressionAttributeValues=to_item({
            ":one": 1, ":expires": (current + 1) * _bucket_seconds(settings) + settings.lockout.ip_window_seconds}),
    )
