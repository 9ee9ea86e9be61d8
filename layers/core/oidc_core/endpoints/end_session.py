"""GET /oidc/session/end: RP-Initiated Logout 1.0.

`id_token_hint` names who signs out of which client; its signature and issuer are checked, its expiry is not (§2
allows an expired hint: users sign out long after logging in). The user's sessions with that client end: their
refresh token families stop at the next use. The browser is sent back, with `state`, only to a
`post_logout_redirect_uri` registered for the client, compared exactly; otherwise it gets a small page. So the
endpoint never redirects anywhere a client did not register (no open redirect).

The browser's session at the login page ends too: the one the hint's `sid` names (if it is the hint's user's), and
the one the browser's cookie holds (if the cookie holds its secret), and the cookie is cleared.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlencode

from oidc_core.store import browser_sessions, users
from oidc_core.tokens import access_tokens
from oidc_core.tokens.access_tokens import InvalidToken
from oidc_core.login.client_auth import MAX_CLIENT_ID_LENGTH
from oidc_core.store.clients import Client, client_key
from oidc_core.config import Settings
from oidc_core.store.dynamo import get_items
from oidc_core.observability import logger


@dataclass(frozen=True)
class Outcome:
    status_code: int
    location: str | None = None
    message: str = ""

    def page(self) -> str:
        return ("<!doctype html><meta charset=utf-8><title>Sign out</title>"
                f"<p>{html.escape(self.message)}</p>\n")


SIGNED_OUT = Outcome(200, message="You are signed out.")


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


def _redirect(uri: str, state: str | None) -> str:
    if not state:
        return uri
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode({'state': state})}"


def end_session(parameters: dict, settings: Settings, session_cookie: str | None = None) -> Outcome:
    client_id = parameters.get("client_id") or None
    if client_id and len(client_id) > MAX_CLIENT_ID_LENGTH:
        client_id = None  # no such client
    redirect_uri = parameters.get("post_logout_redirect_uri") or None
    try:
        session = _hinted_session(parameters.get("id_token_hint"), client_id, settings)
    except InvalidToken as invalid:
        logger.info("logout refused", extra={"reason": invalid.reason})
        return Outcome(400, message="The sign-out request is not valid: the id_token_hint was not issued here.")
    cookie = browser_sessions.parse_cookie(session_cookie)
    if cookie:
        browser_sessions.end(settings, cookie.sid, cookie=cookie)
    if session:
        sub, client_id, sid = session
        users.end_sessions(settings.users_table, sub, client_id)
        if sid and not (cookie and cookie.sid == sid):
            browser_sessions.end(settings, sid, sub=sub)
        logger.info("signed out", extra={"sub": sub, "client_id": client_id})
    if redirect_uri and client_id:
        record = get_items({"client": (settings.clients_table, client_key(client_id))})["client"]
        if record and redirect_uri in Client.from_record(record).post_logout_redirect_uris:
            return Outcome(302, location=_redirect(redirect_uri, parameters.get("state")))
    return SIGNED_OUT
