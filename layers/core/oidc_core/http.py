"""Rendering JSON responses for the router (oidc_core.routing), errors included, so every function answers the same
way."""

from __future__ import annotations

import json

from oidc_core.config import Settings
from oidc_core.errors import DependencyUnavailable, OAuthError
from oidc_core.observability import logger
from oidc_core.routing import Response, Router
from oidc_core.parameters import ParameterRequest, parse_parameters

NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def source_ip(event_source_ip: str, forwarded_for: str | None, trusted_hops: int) -> str:
    """The caller's address. API Gateway's sourceIp is the peer it saw; with `trusted_hops` proxies of our own in
    front (a CDN, a load balancer), the caller is the entry that many places from the right of X-Forwarded-For:
    each proxy appends the address it saw, so everything left of that is whatever the client chose to send. API
    Gateway may append the peer it saw (our nearest proxy) as well: that entry is no hop of the count. A header with
    fewer entries than hops did not pass through all our proxies, so none of it is believed."""
    if trusted_hops and forwarded_for:
        entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
        if entries and entries[-1] == event_source_ip:
            entries.pop()
        if len(entries) >= trusted_hops:
            return entries[-trusted_hops]
    return event_source_ip or "unknown"


def json_response(status_code: int, body: dict, headers: dict | None = None) -> Response:
    return Response(
        status_code=status_code,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        headers={"X-Content-Type-Options": "nosniff", **(headers or {})},
    )


def oauth_error_response(error: OAuthError) -> Response:
    if isinstance(error, DependencyUnavailable):
        # The cause names the AWS error code and operation; never the request, which may hold a password.
        logger.error("dependency unavailable", extra={"dependency": error.dependency, "cause": repr(error.__cause__)})
    return json_response(error.status_code, error.body(), {**NO_STORE_HEADERS, **error.headers})


def unexpected_error_response(error: Exception) -> Response:
    logger.exception("unexpected error")
    return json_response(500, {"error": "server_error", "error_description": "unexpected error"}, NO_STORE_HEADERS)


def empty_response(status_code: int = 200) -> Response:
    return Response(status_code=status_code, body="", headers=dict(NO_STORE_HEADERS))


def caller(event, settings: Settings) -> ParameterRequest:
    """Who sent an HTTP API event (API Gateway's source IP, or the trusted proxies' X-Forwarded-For entry), with its
    Authorization header and no parameters yet."""
    headers = event.headers
    return ParameterRequest(
        parameters={}, authorization=headers.get("authorization"),
        source_ip=source_ip(event.source_ip, headers.get("x-forwarded-for"),
                            settings.lockout.trusted_proxy_hops),
        user_agent=(headers.get("user-agent") or "")[:256],
    )


def form_request(event, settings: Settings) -> ParameterRequest:
    """The body of an HTTP API event as parameters, from its caller."""
    sender = caller(event, settings)
    return parse_parameters(
        event.body, content_type=event.headers.get("content-type"), is_base64_encoded=event.is_base64_encoded,
        authorization=sender.authorization, source_ip=sender.source_ip, user_agent=sender.user_agent,
    )


def resolver(routes: dict | None = None) -> Router:
    """A function's router for its route table: every error becomes an OAuth JSON answer, and anything unexpected a
    500 without details."""
    app = Router(routes)
    app.exception_handler(OAuthError)(oauth_error_response)
    app.exception_handler(Exception)(unexpected_error_response)
    return app
