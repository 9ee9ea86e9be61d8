"""GET and POST /oidc/consent: the consent step of the interaction policy. A third-party client's page lists the
scopes in words; a native app at a loopback address gets a one-click confirmation (RFC 8252 §8.6). The GET shows
the step again (post-redirect-get after the login, or a reload), only to the browser that signed in; the POST
records the answer, checks that the login's session is still this browser's and live, and carries on with the
policy (the code, or a later step's page)."""

from __future__ import annotations

import time

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.errors import OAuthError
from oidc_core.interaction.pending import pending, proceed, show_again, still_signed_in
from oidc_core.interaction.policy import Situation
from oidc_core.interaction.request import AuthorizationRequest, form_of, parameters_of
from oidc_core.interaction.response import redirect_error
from oidc_core.login.client_auth import MAX_CLIENT_ID_LENGTH
from oidc_core.observability import logger
from oidc_core.pages.browser import BrowserRequest, browser_binding, error_page, session_cookie
from oidc_core.routing import Response
from oidc_core.store import browser_sessions, consents, interactions
from oidc_core.store.clients import Client, client_key
from oidc_core.store.dynamo import get_items

STEP = "consent"


def consent_page(browser: BrowserRequest, settings: Settings) -> Response:
    """GET /oidc/consent: shown again on every reload until answered or expired, only to the browser that signed in."""
    try:
        query = parameters_of(browser)
    except OAuthError:
        return error_page(400, browser.locale, "bad_request")
    interaction_id, client_id = query.get("interaction"), query.get("client_id")
    binding = browser_binding(browser, settings)
    if not (interactions.well_formed(interaction_id) and interactions.well_formed(binding) and client_id
            and len(client_id) <= MAX_CLIENT_ID_LENGTH):
        return error_page(403, browser.locale, "expired")
    with aws.dependency("dynamodb"):
        shown, found = aws.in_parallel(
            lambda: interactions.show(settings, interaction_id, binding, int(time.time())),
            lambda: get_items({"client": (settings.clients_table, client_key(client_id))}))
    client = Client.from_record(found["client"]) if found["client"] else None
    if shown is None or client is None or client.client_id != shown[0].request["client_id"] or shown[0].step != STEP:
        logger.info("interaction refused", extra={"reason": "unknown, expired or another browser's"})
        return error_page(403, browser.locale, "expired")
    interaction, csrf_token = shown
    return show_again(interaction, client, csrf_token)


def consent(browser: BrowserRequest, settings: Settings) -> Response:
    try:
        form = form_of(browser)
    except OAuthError:
        return error_page(400, browser.locale, "bad_request")
    cookie = session_cookie(browser, settings)
    session_read = {"session": (settings.tokens_table, browser_sessions.session_key(cookie.sid))} if cookie else {}
    interaction, client, found = pending(browser, form, settings, session_read)
    now = int(time.time())
    if interaction is None or interaction.step != STEP or not still_signed_in(found, cookie, interaction, now):
        return error_page(403, browser.locale, "expired")
    try:
        return _answer(form, browser, settings, interaction, client, now)
    except interactions.AlreadyFinished:  # the same form, posted twice at once: the other post answers it
        logger.info("interaction refused", extra={"reason": "already finished"})
        return error_page(403, browser.locale, "expired")


def _answer(form: dict, browser: BrowserRequest, settings: Settings, interaction: interactions.Interaction,
            client: Client, now: int) -> Response:
    request = AuthorizationRequest(**interaction.request)
    if form.get("decision") != "allow":
        with aws.dependency("dynamodb"):
            interactions.finish(settings, interaction.interaction_id)
        return redirect_error(request, "access_denied", "the user denied the request", settings, status=303)
    writes = []
    if client.third_party:  # a loopback app's confirmation is asked each time: nothing to remember
        sub = interaction.login["sub"]
        writes.append(lambda: consents.remember(settings, sub, client.client_id, request.scopes, now))
    situation = Situation(request=request, client=client, session=None, consent=None,
                          results={**interaction.results, STEP: {"scopes": request.scopes}}, now=now)
    return proceed(situation, browser, settings, interaction.interaction_id, writes=writes)
