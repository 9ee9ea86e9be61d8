"""GET /oidc/session/end: RP-Initiated Logout 1.0, and POST /oidc/session/end, the user's confirmation.

`id_token_hint` names who signs out of which client; its signature and issuer are checked, its expiry is not (§2
allows an expired hint: users sign out long after logging in). The user's sessions with that client end: their
refresh token families stop at the next use. The browser is sent back, with `state`, only to a
`post_logout_redirect_uri` registered for the client, compared exactly; otherwise it gets a small page. So the
endpoint never redirects anywhere a client did not register (no open redirect).

The browser's session at the login page ends too: the one the hint's `sid` names (if it is the hint's user's), and
the one the browser's cookie holds (if the cookie holds its secret), and the cookie is cleared.

Without an id_token_hint, anyone's page can send the browser here (a link, an image): a browser with a session is
asked first (§2: the OP should confirm a logout it cannot attribute), and only the confirmation's POST ends it. The
confirmation's token is a digest of the session cookie, which no other site can read: bound to the cookie, nothing
stored. Without a session there is nothing to end and nothing to ask.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlencode

from oidc_core.config import Settings
from oidc_core.login.client_auth import MAX_CLIENT_ID_LENGTH
from oidc_core.observability import logger
from oidc_core.pages import render
from oidc_core.pages.browser import page
from oidc_core.pages.strings import choose_locale
from oidc_core.routing import Response
from oidc_core.store import browser_sessions, users
from oidc_core.store.clients import Client, client_key
from oidc_core.store.dynamo import get_items
from oidc_core.tokens import access_tokens
from oidc_core.tokens.access_tokens import InvalidToken

FORWARDED = ("client_id", "post_logout_redirect_uri", "state", "ui_locales")  # carried through the confirmation
MAX_FORWARDED_LENGTH = 2048


@dataclass(frozen=True)
class Logout:
    """A logout request as the endpoint reads it."""

    parameters: dict
    cookies: dict
    accept_language: str | None

    @property
    def locale(self) -> str:
        return choose_locale(self.parameters.get("ui_locales"), self.accept_language)

    def session_cookie(self, settings: Settings) -> browser_sessions.PresentedCookie | None:
        return browser_sessions.parse_cookie(browser_sessions.presented(self.cookies, browser_sessions.COOKIE_NAME,
                                                                        settings))


def _hinted_session(id_token_hint: str | None, client_id: str | None, settings: Settings
                    ) -> tuple[str, str, str | None] | None:
    """(sub, client_id, sid) the hint names; None without a hint; InvalidToken when it is not one of our id_tokens."""
    if not id_token_hint:
        return None
    claims = access_tokens.id_token_hint_claims(id_token_hint, settings)
    audiences = [claims["aud"]] if isinstance(claims.get("aud"), str) else list(claims.get("aud") or [])
    if client_id is None and len(audiences) == 1:
        client_id = audiences[0]
    if client_id is None or client_id not in audiences:
        raise InvalidToken("audience")
    sid = claims.get("sid") if isinstance(claims.get("sid"), str) else None
    return claims["sub"], client_id, sid


def _confirmation_token(cookie_value: str) -> str:
    return hashlib.sha256(b"oidc-logout\0" + cookie_value.encode("ascii", "replace")).hexdigest()


def _client_id(parameters: dict) -> str | None:
    client_id = parameters.get("client_id") or None
    return client_id if client_id and len(client_id) <= MAX_CLIENT_ID_LENGTH else None  # a longer one: no such client


def _registered_return(parameters: dict, client_id: str | None, settings: Settings) -> str | None:
    """post_logout_redirect_uri, when the client registered it exactly; else None (a page, no redirect)."""
    redirect_uri = parameters.get("post_logout_redirect_uri") or None
    if not (redirect_uri and client_id):
        return None
    record = get_items({"client": (settings.clients_table, client_key(client_id))})["client"]
    return redirect_uri if record and redirect_uri in Client.from_record(record).post_logout_redirect_uris else None


def _page(status: int, locale: str, title_key: str, message_key: str, settings: Settings, *,
          signed_out: bool = False) -> Response:
    """A page; the cookie is cleared only when the session did end (a refused request must not sign anyone out)."""
    answer = page(status, render.message_page(locale, title_key, message_key),
                  cookies=[browser_sessions.cleared_cookie(settings)] if signed_out else [])
    answer.headers.update(browser_sessions.transport_headers(settings))
    return answer


def _signed_out(parameters: dict, client_id: str | None, locale: str, settings: Settings) -> Response:
    """Back to the client's registered URI with its state, or the signed-out page; the cookie is cleared."""
    target = _registered_return(parameters, client_id, settings)
    if target is None:
        return _page(200, locale, "signed_out_title", "signed_out", settings, signed_out=True)
    state = parameters.get("state")
    location = f"{target}{'&' if '?' in target else '?'}{urlencode({'state': state})}" if state else target
    return Response(status_code=302, headers={"Location": location, **render.security_headers(),
                                              **browser_sessions.transport_headers(settings)},
                    cookies=[browser_sessions.cleared_cookie(settings)])


def _confirmation_page(request: Logout, cookie_value: str, client_id: str | None, settings: Settings) -> Response:
    fields = {name: request.parameters[name] for name in FORWARDED
              if request.parameters.get(name) and len(request.parameters[name]) <= MAX_FORWARDED_LENGTH}
    fields["csrf_token"] = _confirmation_token(cookie_value)
    target = _registered_return(request.parameters, client_id, settings)  # the POST may redirect there
    answer = page(200, render.logout_page(request.locale, fields),
                  form_targets=(render.origin_of(target),) if target else ())
    answer.headers.update(browser_sessions.transport_headers(settings))
    return answer


def end_session(request: Logout, settings: Settings) -> Response:
    """GET: a logout an RP sent with its id_token_hint is done at once; one without is asked about first."""
    parameters, client_id = request.parameters, _client_id(request.parameters)
    try:
        session = _hinted_session(parameters.get("id_token_hint"), client_id, settings)
    except InvalidToken as invalid:
        logger.info("logout refused", extra={"reason": invalid.reason})
        return _page(400, request.locale, "error_title", "logout_invalid", settings)
    cookie = request.session_cookie(settings)
    if session is None and cookie is not None:
        value = browser_sessions.presented(request.cookies, browser_sessions.COOKIE_NAME, settings)
        return _confirmation_page(request, value, client_id, settings)
    if cookie:
        browser_sessions.end(settings, cookie.sid, cookie=cookie)
    if session:
        sub, client_id, sid = session
        users.end_sessions(settings.users_table, sub, client_id)
        if sid and not (cookie and cookie.sid == sid):
            browser_sessions.end(settings, sid, sub=sub)
        logger.info("signed out", extra={"sub": sub, "client_id": client_id})
    return _signed_out(parameters, client_id, request.locale, settings)


def confirm_end_session(request: Logout, settings: Settings) -> Response:
    """POST: the user's answer to the confirmation page, from the browser whose cookie the page's token is bound to."""
    value = browser_sessions.presented(request.cookies, browser_sessions.COOKIE_NAME, settings)
    cookie = request.session_cookie(settings)
    token = request.parameters.get("csrf_token") or ""
    if cookie is None or not hmac.compare_digest(token.encode("ascii", "replace"),
                                                 _confirmation_token(value).encode("ascii")):
        logger.info("logout refused", extra={"reason": "no session, or not this browser's confirmation"})
        return _page(403, request.locale, "error_title", "logout_expired", settings)
    if request.parameters.get("decision") != "allow":
        return _page(200, request.locale, "signed_in_title", "still_signed_in", settings)
    browser_sessions.end(settings, cookie.sid, cookie=cookie)
    logger.info("signed out", extra={"client_id": _client_id(request.parameters)})
    return _signed_out(request.parameters, _client_id(request.parameters), request.locale, settings)
