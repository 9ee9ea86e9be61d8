"""Whether a request came through our own proxy (CloudFront): only then is its X-Forwarded-For believed.

An HTTP API has no resource policy, so the custom domain behind the CDN stays reachable directly, and anyone there
writes their own X-Forwarded-For (issue 23 point 1: a new forged address started the per-IP limit afresh, and a
locked pair unlocked). The CDN adds a secret origin header, X-Origin-Verify, whose value the stack generated into a
Secrets Manager secret (ORIGIN_SECRET_ID, only while TrustedProxyHops > 0). A request whose header matches, compared
in constant time, is the proxy's; any other is the caller's own, and its address is API Gateway's source IP.

Rotation (docs/security.md): a new value put into the secret becomes AWSCURRENT and the old one AWSPREVIOUS; both
are accepted, so the CDN can be switched to the new value without a request being refused. Each is read once per
KEY_CACHE_SECONDS per container, and only for a request that carries the header.
"""

from __future__ import annotations

import hmac
import threading
import time

from oidc_core import aws
from oidc_core.config import Settings

HEADER = "x-origin-verify"
_STAGES = ("AWSCURRENT", "AWSPREVIOUS")

_lock = threading.Lock()
_cache: dict[str, tuple[float, tuple[bytes, ...]]] = {}  # secret id -> (read at, the values in force)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _read(secret_id: str) -> tuple[bytes, ...]:
    from botocore.exceptions import ClientError

    values = []
    with aws.dependency("secretsmanager"):
        for stage in _STAGES:
            try:
                answer = aws.client("secretsmanager").get_secret_value(SecretId=secret_id, VersionStage=stage)
            except ClientError as error:
                if error.response["Error"]["Code"] == "ResourceNotFoundException" and stage != "AWSCURRENT":
                    continue  # never rotated: no previous value
                raise
            if answer.get("SecretString"):
                values.append(answer["SecretString"].encode("utf-8"))
    return tuple(values)


def _values(settings: Settings) -> tuple[bytes, ...]:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(settings.origin_secret_id)
    if hit and now - hit[0] < settings.key_cache_seconds:
        return hit[1]
    values = _read(settings.origin_secret_id)
    with _lock:
        _cache[settings.origin_secret_id] = (now, values)
    return values


def through_our_proxy(headers, settings: Settings) -> bool:
    """Whether the request carries the proxy's secret header: never without trusted hops or a secret."""
    sent = headers.get(HEADER)
    if not (sent and settings.lockout.trusted_proxy_hops and settings.origin_secret_id):
        return False
    sent_bytes = sent.encode("utf-8", "surrogatepass")
    # every value compared, without stopping at a match: the time must not say which one matched
    matches = [hmac.compare_digest(sent_bytes, value) for value in _values(settings)]
    return any(matches)
