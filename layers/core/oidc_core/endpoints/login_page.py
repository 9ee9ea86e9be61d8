"""POST /oidc/login: the login page's form, the login step of the interaction policy.

The password goes through the one credential path (login.credentials: lockout, per-IP throttling, audit, one
answer for every failure), as at the token endpoint. A success starts a new browser session (never the old one
reused: no session fixation; the old one ends) and carries on with the policy: the consent page by
post-redirect-get, or the code.
"""

from __future__ import annotations

import time
from dataclasses import asdict

from oidc_core.config import Settings
from oidc_core.errors import DependencyUnavailable, OAuthError
from oidc_core.interaction.pending import pending, proceed, remembered_consent
from oidc_core.interaction.policy import Situation
from oidc_core.interaction.request import MAX_PARAMETER_LENGTH, AuthorizationRequest, form_of
from oidc_core.interaction.response import AMR_PASSWORD, SignedIn
from oidc_core.login import audit, credentials, ip_throttle, lookup
from oidc_core.observability import logger
from oidc_core.pages import render
from oidc_core.pages.browser import BrowserRequest, error_page, page, session_cookie
from oidc_core.routing import Response
from oidc_core.store import browser_sessions, interactions
from oidc_core.store.clients import Client
from oidc_core.store.identifiers import account_candidates


def _again(interaction: interactions.Interaction, client: Client, form: dict, error: str) -> Response:
    """The page again, with the one error every failure gets (same interaction, same token: nothing to write)."""
    request = AuthorizationRequest(**interaction.request)
    html = render.login_page(request.locale, client_name=client.display_name, client_id=client.client_id,
                             interaction_id=interaction.interaction_id, csrf_token=form["csrf_token"],
                             login_hint=(form.get("identifier") or "")[:MAX_PARAMETER_LENGTH], error=error)
    return page(400, html, form_targets=(render.origin_of(request.redirect_uri),))


def login(browser: BrowserRequest, settings: Settings) -> Response:
    try:
        form = form_of(browser)
    except OAuthError:
        return error_page(400, browser.locale, "bad_request")
    account, password = form.get("identifier") or "", form.get("password") or ""
    identifiers = account_candidates(account, settings.default_phone_country_code) if account else []
    reads = lookup.identifier_reads(identifiers, settings)
    interaction, client, found = pending(browser, form, settings,
                                         {**reads, **ip_throttle.window_reads(settings, browser.caller.source_ip)})
    if interaction is None or interaction.step != "login":
        return error_page(403, browser.locale, "expired")
    locale = interaction.request["locale"]
    if ip_throttle.over_limit(settings, found, int(time.time())):
        audit.throttled(browser.caller)
        return error_page(429, locale, "too_many_requests")
    if not identifiers or not password:
        return _again(interaction, client, form, "invalid_credentials")
    identifier, pointer = lookup.first_known(identifiers, found)
    try:
        checked = credentials.check_password(browser.caller, client, settings, identifier, pointer, password)
    except DependencyUnavailable:
        raise
    except OAuthError as failure:
        if failure.status_code == 429:
            return error_page(429, locale, "too_many_requests")
        # LockoutResponse=visible: the operator chose to say so (the default answers a lock like a wrong password)
        return _again(interaction, client, form, "locked" if "Retry-After" in failure.headers else "invalid_credentials")
    try:
        return _signed_in(browser, settings, checked, interaction, client)
    except interactions.AlreadyFinished:  # the same form, posted twice at once: the other post answers it
        logger.info("interaction refused", extra={"reason": "already finished"})
        return error_page(403, locale, "expired")


def _signed_in(browser: BrowserRequest, settings: Settings, checked, interaction: interactions.Interaction,
               client: Client) -> Response:
    """After the right password: a new browser session, then the next step of the policy, or the code."""
    user, now = checked.user, int(time.time())
    old = session_cookie(browser, settings)
    cookie_value, session = browser_sessions.start(settings, sub=user.sub, user_epoch=user.session_epoch, now=now,
                                                   amr=AMR_PASSWORD)
    writes = list(checked.success_writes(settings))
    if old is not None:  # a new login replaces the browser's session
        writes.append(lambda: browser_sessions.end(settings, old.sid, cookie=old))
    signed_in = SignedIn(sub=user.sub, sid=session.sid, auth_time=now, user_epoch=user.session_epoch,
                         amr=list(AMR_PASSWORD))
    situation = Situation(request=AuthorizationRequest(**interaction.request), client=client, session=session,
                          consent=remembered_consent(settings, user.sub, client),
                          results={**interaction.results, "login": asdict(signed_in)}, now=now)
    return proceed(situation, browser, settings, interaction.interaction_id,
                   cookies=[browser_sessions.set_cookie(cookie_value, settings)], writes=writes)
