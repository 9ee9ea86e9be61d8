"""An interaction in progress: started when the policy asks for a step's page (`show_step`), read back when that
page's form is posted (`pending`), and carried on after the step (`proceed`): the next step's page by
post-redirect-get, or the code.

The interaction is bound to the browser it was shown to (its binding cookie), its form to the page (the CSRF
token), and it is finished by one conditional delete, so that two posts of one form give one answer
(interactions.AlreadyFinished for the other)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.interaction.policy import BY_NAME, Prompt, Situation, next_step
from oidc_core.interaction.request import AuthorizationRequest
from oidc_core.interaction.response import SignedIn, issue_code
from oidc_core.login.client_auth import MAX_CLIENT_ID_LENGTH
from oidc_core.observability import logger
from oidc_core.pages import render
from oidc_core.pages.browser import BrowserRequest, binding, browser_binding, page
from oidc_core.routing import Response
from oidc_core.store import browser_sessions, consents, interactions
from oidc_core.store.clients import Client, client_key
from oidc_core.store.dynamo import get_items


def show_step(prompt: Prompt, situation: Situation, results: dict, browser: BrowserRequest,
              settings: Settings) -> Response:
    """A new interaction at the prompt's step, and that step's page (with a binding cookie if the browser has none)."""
    request = situation.request
    bound, new_cookies = binding(browser, settings)
    interaction_id, csrf_token = interactions.start(settings, request.stored, bound, situation.now,
                                                    step=prompt.step.name, reason=prompt.check.reason,
                                                    results=results)
    logger.info("interaction started", extra={"step": prompt.step.name, "reason": prompt.check.reason})
    html = prompt.step.page(request, situation.client, interaction_id, csrf_token, prompt.check.reason)
    return page(200, html, cookies=new_cookies, form_targets=(render.origin_of(request.redirect_uri),))


def show_again(interaction: interactions.Interaction, client: Client, csrf_token: str) -> Response:
    """The page of the step an interaction is at, shown again (a GET after another step's POST, or a reload)."""
    request = AuthorizationRequest(**interaction.request)
    html = BY_NAME[interaction.step].page(request, client, interaction.interaction_id, csrf_token, interaction.reason)
    return page(200, html, form_targets=(render.origin_of(request.redirect_uri),))


def pending(browser: BrowserRequest, form: dict, settings: Settings, extra: dict | None = None
            ) -> tuple[interactions.Interaction | None, Client | None, dict]:
    """The interaction the form names, if this browser was shown it with this token, and its client (re-read: an
    operator's change counts at once); `extra` is read in the same round trip."""
    interaction_id, client_id = form.get("interaction"), form.get("client_id")
    if not interactions.well_formed(interaction_id) or not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        return None, None, {}
    found = get_items({"interaction": (settings.tokens_table, interactions.interaction_key(interaction_id)),
                       "client": (settings.clients_table, client_key(client_id)), **(extra or {})})
    record = found.pop("interaction")
    interaction = interactions.Interaction.from_record(record) if record else None
    if interaction is None or not interaction.belongs_to(browser_binding(browser, settings), form.get("csrf_token"),
                                                         int(time.time())):
        logger.info("interaction refused", extra={"reason": "unknown, expired or another browser's"})
        return None, None, found
    client_record = found.pop("client")
    client = Client.from_record(client_record) if client_record else None
    if client is None or client.client_id != interaction.request["client_id"]:
        return None, None, found
    return interaction, client, found


def still_signed_in(found: dict, cookie: browser_sessions.PresentedCookie | None,
                    interaction: interactions.Interaction, now: int) -> bool:
    """The session the login started is still this browser's and still live: a logout between the login and a
    later step ends the sign-in (the user's own sign-out, block or password change is checked at redemption, where
    the code's user epoch is compared)."""
    record = found.get("session")
    session = browser_sessions.BrowserSession.from_record(record) if record else None
    live = (session is not None and cookie is not None and interaction.login is not None
            and session.presented_by(cookie) and session.sid == interaction.login["sid"] and now < session.expires_at)
    if not live:
        logger.info("interaction refused", extra={"reason": "the session ended"})
    return live


def proceed(situation: Situation, browser: BrowserRequest, settings: Settings, interaction_id: str, *,
            cookies: list[str] | None = None, writes=()) -> Response:
    """After a step's POST (its result in `situation.results`): the next step's page by See Other to its GET, or
    the code. Either way the posted interaction is finished in the same round trip as `writes`."""
    prompt, results = next_step(situation)
    finished = [lambda: interactions.finish(settings, interaction_id), *writes]
    request = situation.request
    if prompt is None:
        return issue_code(request, SignedIn(**results["login"]), settings, situation.now, status=303,
                          cookies=cookies, also=finished)
    bound = browser_binding(browser, settings)  # `pending` found it
    with aws.dependency("dynamodb"):
        (next_id, _), *_ = aws.in_parallel(
            lambda: interactions.start(settings, request.stored, bound, situation.now, step=prompt.step.name,
                                       reason=prompt.check.reason, results=results),
            *finished)
    # Post-redirect-get: the next page is a GET of its own, so that reloading it shows it again rather than posting
    # this form (a password) a second time (the CSRF token is the GET's: `interactions.show`)
    where = urlencode({"interaction": next_id, "client_id": situation.client.client_id})
    return Response(status_code=303, headers={"Location": f"{prompt.step.shown_at}?{where}",
                                              **render.security_headers()}, cookies=cookies or [])


def remembered_consent(settings: Settings, sub: str, client: Client) -> dict | None:
    """The consent a third-party client holds from this user (nothing to read for a first-party one)."""
    if not client.third_party:
        return None
    return get_items({"consent": (settings.tokens_table, consents.consent_key(sub, client.client_id))})["consent"]
