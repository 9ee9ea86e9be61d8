"""The audit trail of credential checks: one structured log event per attempt, and metrics by outcome and reason.

An event says what happened (outcome, reason code), to whom (sub when known), through which client, from where
(source IP, user agent; the request id is the log's correlation id). It never holds the password, a secret, a token
or the raw login identifier: the identifier appears as a keyed hash (HMAC-SHA256 with the audit key, a secret of
its own), so the events of one identifier can be followed without the log revealing it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from oidc_core import aws
from oidc_core.config import settings
from oidc_core.errors import DependencyUnavailable
from oidc_core.observability import count, logger
from oidc_core.parameters import ParameterRequest

MAX_LOGGED_CLIENT_ID = 128  # a client_id is the caller's to choose: log a bounded prefix


@functools.cache
def _audit_key() -> bytes:
    """Read once per container: the key never rotates (a new key would break following an identifier)."""
    secret_id = settings().audit_key_secret_id
    if not secret_id:  # a stack without the secret (tests of single modules): hashes only correlate per container
        return secrets.token_bytes(32)
    try:
        value = SecretsProvider(boto3_client=aws.client("secretsmanager")).get(secret_id, VersionStage="AWSCURRENT")
    except GetParameterError as error:
        raise DependencyUnavailable("audit key") from error
    return hashlib.sha256(value.encode("utf-8")).digest()


def derived_key(purpose: str) -> bytes:
    """A key of its own for another keyed digest (one-time codes, reset tokens), derived from the audit key so every
    function that holds the audit key agrees on it: a code sent by one function is checked by another."""
    return hmac.new(_audit_key(), purpose.encode("ascii"), hashlib.sha256).digest()


def identifier_hash(identifier_key: str) -> str:
    return hmac.new(_audit_key(), identifier_key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _caller(request: ParameterRequest) -> dict:
    return {"source_ip": request.source_ip, "user_agent": request.user_agent}


def login_attempt(request: ParameterRequest, *, client_id: str, outcome: str, reason: str, sub: str | None = None,
                  identifier_key: str | None = None) -> None:
    """outcome: succeeded | failed | locked. reason: a code (wrong_password, unknown_user, …), never free text."""
    logger.info("login attempt", extra={
        "outcome": outcome, "reason": reason, "client_id": client_id[:MAX_LOGGED_CLIENT_ID], "sub": sub,
        "identifier_hash": identifier_hash(identifier_key) if identifier_key else None, **_caller(request),
    })
    count({"succeeded": "LoginSucceeded", "failed": "LoginFailed", "locked": "LoginLocked"}[outcome])
    if outcome != "succeeded":
        _count_by_reason("LoginFailuresByReason", reason)


def client_authentication_failed(request: ParameterRequest, client_id: str | None) -> None:
    logger.info("client authentication failed", extra={
        "outcome": "failed", "reason": "invalid_client", "client_id": (client_id or "")[:MAX_LOGGED_CLIENT_ID],
        **_caller(request),
    })
    count("ClientAuthenticationFailed")


def throttled(request: ParameterRequest) -> None:
    logger.info("throttled", extra={"outcome": "throttled", "reason": "ip_failures", **_caller(request)})
    count("Throttled")


def _count_by_reason(metric: str, reason: str) -> None:
    # A metric of its own with the reason as dimension, beside the plain total that alarms watch.
    with single_metric(name=metric, unit=MetricUnit.Count, value=1) as by_reason:
        by_reason.add_dimension(name="reason", value=reason)
