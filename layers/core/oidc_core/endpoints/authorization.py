"""GET and POST /oidc/auth, the authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2).

The client and its redirect URI are checked first, the URI compared exactly with a registered one: if either is
wrong the browser gets a page and goes nowhere (no open redirect, RFC 9700 §4.11). Every later error goes back to
the redirect URI (interaction.request checks the rest, interaction.response answers).

Then the interaction policy (interaction.policy) decides, from this browser's live session: a code at once, or the
page of the first step the request still needs (login, consent, a loopback app's confirmation), kept as an
interaction bound to this browser; under prompt=none that step's error instead of its page.
"""

from __future__ import annotations

import time

from oidc_core.config import Settings
from oidc_core.errors import OAuthError
from oidc_core.interaction.pending import show_step
from oidc_core.interaction.policy import Situation, next_step
from oidc_core.interaction.request import AuthorizationError, fallback, parameters_of, validated
from oidc_core.interaction.response import SignedIn, issue_code, redirect_error
from oidc_core.login.client_auth import MAX_CLIENT_ID_LENGTH
from oidc_core.observability import logger
from oidc_core.pages.browser import BrowserRequest, error_page, session_cookie
from oidc_core.pages.strings import choose_locale
from oidc_core.routing import Response
from oidc_core.store import browser_sessions, consents, users
from oidc_core.store.clients import Client, client_key
from oidc_core.store.dynamo import get_items


def _client_and_session(parameters: dict, browser: BrowserRequest, settings: Settings) -> tuple:
    """The client the request names and the session this browser's cookie names, in one round trip."""
    client_id, cookie = parameters.get("client_id"), session_cookie(browser, settings)
    wanted = {}
    if client_id and len(client_id) <= MAX_CLIENT_ID_LENGTH:
        wanted["client"] = (settings.clients_table, client_key(client_id))
    if cookie:
        wanted["session"] = (settings.tokens_table, browser_sessions.session_key(cookie.sid))
    found = get_items(wanted)
    client = Client.from_record(found["client"]) if found.get("client") else None
    session = browser_sessions.BrowserSession.from_record(found["session"]) if found.get("session") else None
    return client, (session if session is not None and session.presented_by(cookie) else None)


def _live(session, client: Client, settings: Settings, now: int) -> tuple:
    """The session if its user may still be signed in as at the login, and the consent a third party holds."""
    if session is None:
        return None, None
    reads = {"user": (settings.users_table, users.user_key(session.sub))}
    if client.third_party:
        reads["consent"] = (settings.tokens_table, consents.consent_key(session.sub, client.client_id))
    found = get_items(reads)
    user = users.User.from_record(found["user"]) if found["user"] else None
    return (session if session.live_for(user, now) else None), found.get("consent")


def authorize(browser: BrowserRequest, settings: Settings) -> Response:
    try:
        parameters = parameters_of(browser)
    except OAuthError:
        return error_page(400, browser.locale, "bad_request")
    locale = choose_locale(parameters.get("ui_locales"), browser.accept_language)
    client, session = _client_and_session(parameters, browser, settings)
    redirect_uri = parameters.get("redirect_uri")
    if client is None or not client.registered_redirect_uri(redirect_uri):
        logger.info("authorization refused", extra={"error": "unknown client or redirect_uri"})
        return error_page(400, locale, "bad_client")
    try:
        request = validated(parameters, client, redirect_uri, locale, settings)
    except AuthorizationError as error:
        return redirect_error(fallback(parameters, client, redirect_uri, locale), error.error, error.description,
                              settings)

    now = int(time.time())
    session, consent = _live(session, client, settings, now)
    situation = Situation(request=request, client=client, session=session, consent=consent, results={}, now=now)
    prompt, results = next_step(situation)
    if prompt is None:
        return issue_code(request, SignedIn(**results["login"]), settings, now,
                          also=[lambda: browser_sessions.touch(settings, session, now)])
    if "none" in request.prompt:
        logger.info("prompt=none cannot be answered", extra={"step": prompt.step.name, "reason": prompt.check.reason})
        return redirect_error(request, prompt.check.error, prompt.check.description, settings)
    return show_step(prompt, situation, results, browser, settings)
