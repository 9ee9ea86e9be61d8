"""The browser's side of the hosted pages: what a page handler reads from a request (BrowserRequest: the method,
query, form, cookies and language), how it answers (a page with its security headers, an error page, the outage
page), and the two cookies every page deals with: the session cookie (store.browser_sessions) and the binding cookie
that ties an interaction to the browser it was shown to (store.interactions). Cookie names go through
browser_sessions.cookie_name, so over https they carry the `__Host-` prefix."""

from __future__ import annotations

from dataclasses import dataclass

from oidc_core.config import Settings
from oidc_core.errors import DependencyUnavailable
from oidc_core.observability import logger
from oidc_core.pages import render
from oidc_core.pages.strings import choose_locale
from oidc_core.routing import Response
from oidc_core.store import browser_sessions, interactions
from oidc_core.parameters import ParameterRequest


@dataclass(frozen=True)
class BrowserRequest:
    """What the endpoints read from a browser's request."""

    method: str
    query: str
    body: str | None
    is_base64_encoded: bool
    content_type: str | None
    cookies: dict[str, str]
    accept_language: str | None
    caller: ParameterRequest  # the source IP and user agent, for throttling and the audit log

    @property
    def locale(self) -> str:
        """The browser's language, for a page shown before the request's own ui_locales is known."""
        return choose_locale(None, self.accept_language)



def browser_request(event, caller: ParameterRequest) -> BrowserRequest:
    return BrowserRequest(method=event.http_method, query=event.raw_query_string, body=event.body,
                          is_base64_encoded=event.is_base64_encoded, content_type=event.headers.get("content-type"),
                          cookies=event.cookies, accept_language=event.headers.get("accept-language"), caller=caller)


def page(status: int, html: str, *, cookies: list[str] | None = None, form_targets: tuple[str, ...] = (),
         scripts: tuple[render.StaticScript, ...] = ()) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=html,
                    headers=render.security_headers(form_targets=form_targets, scripts=scripts),
                    cookies=cookies or [])


def error_page(status: int, locale: str, message_key: str) -> Response:
    return page(status, render.error_page(locale, message_key))


def outage_page(error: DependencyUnavailable, accept_language: str | None) -> Response:
    logger.error("dependency unavailable", extra={"dependency": error.dependency, "cause": repr(error.__cause__)})
    answer = error_page(503, choose_locale(None, accept_language), "unavailable")
    answer.headers["Retry-After"] = str(error.RETRY_AFTER_SECONDS)
    return answer


def browser_binding(browser: BrowserRequest, settings: Settings) -> str | None:
    """The binding cookie's value, as the browser sent it (checked by whoever compares it)."""
    return browser_sessions.presented(browser.cookies, interactions.BROWSER_COOKIE_NAME, settings)


def binding(browser: BrowserRequest, settings: Settings) -> tuple[str, list[str]]:
    """This browser's binding cookie, and the Set-Cookie that gives it one when it has none."""
    existing = browser_binding(browser, settings)
    if interactions.well_formed(existing):
        return existing, []
    fresh = interactions.new_browser_binding()
    return fresh, [browser_sessions.cookie_header(interactions.BROWSER_COOKIE_NAME, fresh, settings)]


def session_cookie(browser: BrowserRequest, settings: Settings) -> browser_sessions.PresentedCookie | None:
    return browser_sessions.parse_cookie(browser_sessions.presented(browser.cookies, browser_sessions.COOKIE_NAME,
                                                                    settings))
