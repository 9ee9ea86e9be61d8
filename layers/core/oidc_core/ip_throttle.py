"""Throttling per source IP: failures of any kind (a wrong password, a failed client authentication) from one IP
over a sliding window beyond a threshold answer 429 with Retry-After, before any hashing.

The window is kept as BUCKETS counters in the tokens table (`ipfail#<ip digest>#<bucket>`, removed by the TTL when
they leave the window); the sum of the window's buckets is read in the same BatchGetItem as the client.
"""

from __future__ import annotations

import hashlib

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.dynamo import to_item
from oidc_core.errors import OAuthError

BUCKETS = 24


def _bucket_seconds(settings: Settings) -> int:
    return max(1, settings.lockout.ip_window_seconds // BUCKETS)


def _key(source_ip: str, bucket: int) -> dict:
    digest = hashlib.sha256(source_ip.encode()).hexdigest()[:32]
    return {"pk": {"S": f"ipfail#{digest}#{bucket}"}}


def window_reads(settings: Settings, source_ip: str, now: float) -> dict:
    """The buckets of the window ending now, as items to read with the client (name -> (table, key))."""
    current = int(now) // _bucket_seconds(settings)
    return {f"ipfail{n}": (settings.tokens_table, _key(source_ip, current - n)) for n in range(BUCKETS)}


def over_limit(settings: Settings, found: dict) -> bool:
    """Whether the window's failures (the buckets read with the client) reached the threshold."""
    failures = sum(int((found.get(f"ipfail{n}") or {}).get("failures", 0)) for n in range(BUCKETS))
    return failures >= settings.lockout.ip_failure_threshold


def too_many_requests(settings: Settings) -> OAuthError:
    # Retry-After: by then the oldest bucket has left the window.
    return OAuthError("too_many_requests", "too many failed requests from this address, retry later",
                      status_code=429, headers={"Retry-After": str(_bucket_seconds(settings))})


def record_failure(settings: Settings, source_ip: str, now: float) -> None:
    current = int(now) // _bucket_seconds(settings)
    aws.client("dynamodb").update_item(
        TableName=settings.tokens_table, Key=_key(source_ip, current),
        UpdateExpression="ADD failures :one SET expires_at = :expires",
        ExpressionAttributeValues=to_item({
            ":one": 1, ":expires": (current + 1) * _bucket_seconds(settings) + settings.lockout.ip_window_seconds}),
    )


def source_ip(event_source_ip: str, forwarded_for: str | None, trusted_hops: int) -> str:
    """The caller's address. API Gateway's sourceIp is the peer it saw; with `trusted_hops` proxies of our own in
    front (a CDN, a load balancer), the caller is the entry that many places from the right of X-Forwarded-For:
    each proxy appends the address it saw, so everything left of that is whatever the client chose to send."""
    if trusted_hops and forwarded_for:
        entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
        if len(entries) >= trusted_hops:
            return entries[-trusted_hops]
    return event_source_ip or "unknown"
