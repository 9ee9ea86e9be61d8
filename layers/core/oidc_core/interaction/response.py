"""The authorization response (RFC 6749 §4.1.2): a code, or an error, back at the client's redirect URI in the
response mode asked for (query, fragment, or a page that posts it: OAuth 2.0 Form Post Response Mode), always with
`iss` (RFC 9207) and the request's `state`."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.interaction.request import AuthorizationRequest
from oidc_core.observability import count, logger
from oidc_core.pages import render
from oidc_core.pages.browser import page
from oidc_core.routing import Response
from oidc_core.store import authorization_codes

AMR_PASSWORD = ["pwd"]  # RFC 8176: the login page checked a password


@dataclass(frozen=True)
class SignedIn:
    """The login step's result, what a code is issued for: the user, the browser session, when and how the user
    authenticated (RFC 8176 amr)."""

    sub: str
    sid: str
    auth_time: int
    user_epoch: int
    amr: list[str] = field(default_factory=lambda: list(AMR_PASSWORD))


def respond(request: AuthorizationRequest, parameters: dict, settings: Settings, *, status: int = 302,
            cookies: list[str] | None = None) -> Response:
    """An authorization response (success or error) to the client, in its response mode, with state and iss."""
    answer = dict(parameters)
    if request.state is not None:
        answer["state"] = request.state
    answer["iss"] = settings.issuer  # RFC 9207
    if request.response_mode == "form_post":
        return page(200, render.form_post_page(request.locale, request.redirect_uri, answer), cookies=cookies,
                    form_targets=(render.origin_of(request.redirect_uri),), scripts=(render.AUTO_SUBMIT,))
    if request.response_mode == "fragment":
        location = f"{request.redirect_uri}#{urlencode(answer)}"
    else:
        location = f"{request.redirect_uri}{'&' if '?' in request.redirect_uri else '?'}{urlencode(answer)}"
    headers = {"Location": location, "Cache-Control": "no-store", "Pragma": "no-cache",
               "Referrer-Policy": "no-referrer"}
    return Response(status_code=status, headers=headers, cookies=cookies or [])


def redirect_error(request: AuthorizationRequest, error: str, description: str, settings: Settings, *,
                   status: int = 302) -> Response:
    logger.info("authorization refused", extra={"error": error, "client_id": request.client_id})
    return respond(request, {"error": error, "error_description": description}, settings, status=status)


def issue_code(request: AuthorizationRequest, login: SignedIn, settings: Settings, now: int, *,
               status: int = 302, cookies: list[str] | None = None, also=()) -> Response:
    """A code for the request and the login, with the writes `also` made in the same round trip."""
    with aws.dependency("dynamodb"):
        code, *_ = aws.in_parallel(
            lambda: authorization_codes.issue(
                settings, client_id=request.client_id, redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge, nonce=request.nonce, scopes=request.scopes, sub=login.sub,
                sid=login.sid, auth_time=login.auth_time, user_epoch=login.user_epoch, amr=login.amr, now=now),
            *also,
        )
    count("AuthorizationCodeIssued")
    return respond(request, {"code": code}, settings, status=status, cookies=cookies)
