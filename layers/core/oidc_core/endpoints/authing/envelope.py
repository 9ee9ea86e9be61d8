"""Authing's answer to every v3 call, success or failure: `{statusCode, message, apiCode?, requestId?, data}` with
the HTTP status in `statusCode` too, and our OAuth error code beside it in `error` (what went wrong, as every other
endpoint names it). Every call family answers through `answer`, so no call renders an envelope of its own."""

from __future__ import annotations

from collections.abc import Callable

from oidc_core.config import Settings
from oidc_core.endpoints.authing.request import V3Request, v3_request
from oidc_core.errors import OAuthError
from oidc_core.http import NO_STORE_HEADERS, json_response, oauth_error_response
from oidc_core.routing import Response


class V3Error(OAuthError):
    """An error whose envelope carries Authing's numeric `apiCode` as well, for the answers its SDKs tell apart by
    code (a rate limit, a locked account)."""

    def __init__(self, error: str, description: str, *, api_code: int, status_code: int | None = None,
                 headers: dict | None = None):
        super().__init__(error, description, status_code=status_code, headers=headers)
        self.api_code = api_code


def success_envelope(data: dict | None, message: str = "") -> dict:
    return {"statusCode": 200, "message": message, "data": data}


def error_envelope(error: OAuthError) -> dict:
    api_code = {"apiCode": error.api_code} if isinstance(error, V3Error) else {}
    return {"statusCode": error.status_code, "message": error.description, **api_code, "error": error.error,
            "data": None}


def error_response(error: OAuthError) -> Response:
    """The error in Authing's envelope, with the status and headers (Retry-After, WWW-Authenticate) OAuth's has."""
    oauth_error_response(error)  # logs a dependency outage the same way
    return json_response(error.status_code, error_envelope(error), {**NO_STORE_HEADERS, **error.headers})


def answer(event, settings: Settings, call: Callable[[V3Request, Settings], dict | None]) -> Response:
    """A v3 call from its HTTP API event: read the request, run the call, wrap its data in the envelope; whatever
    fails answers in the envelope too (an unexpected exception stays the router's 500 without details)."""
    try:
        data = call(v3_request(event, settings), settings)
    except OAuthError as error:
        return error_response(error)
    return json_response(200, success_envelope(data), NO_STORE_HEADERS)
