"""Every file in events/ is a real HTTP API v2 event that gives the answer its name promises, from the function that
template.yaml routes it to, against a stack seeded as `make invoke` seeds one (a fresh local stack)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import Reply
from oidc_core.keys import keyring
from oidc_core.tokens.scopes import KNOWN_SCOPES
from oidc_tools import template
from oidc_tools.local.lambda_events import LambdaContext
from oidc_tools.local.stack import (DEMO_API_SCOPE, DEMO_BROWSER_CLIENT_ID, DEMO_BROWSER_REDIRECT_URIS, DEMO_CLIENT_ID,
                                    DEMO_CLIENT_SECRET, DEMO_LOGOUT_REDIRECT, DEMO_PASSWORD, DEMO_PUBLIC_CLIENT_ID,
                                    DEMO_USER, demo_password_keys)
from oidc_tools.stack.operations import create_client, create_user, replace_password_keys

EVENTS = Path(__file__).resolve().parents[2] / "events"
# file -> (function template.yaml routes it to, status, OAuth error or None, what else the answer must show or None)
EXPECTED = {
    "token-password.json": ("TokenFunction", 200, None, None),
    "token-password-basic-auth.json": ("TokenFunction", 200, None, None),
    "token-password-phone-json.json": ("TokenFunction", 200, None, None),
    "token-password-rsa.json": ("TokenFunction", 200, None, None),
    "token-password-sm2.json": ("TokenFunction", 200, None, None),
    "token-wrong-password.json": ("TokenFunction", 400, "invalid_grant", None),
    "token-bad-client-secret-basic.json": ("TokenFunction", 401, "invalid_client", None),
    "token-two-identifiers.json": ("TokenFunction", 400, "invalid_request", None),
    "token-unknown-scope.json": ("TokenFunction", 400, "invalid_scope", None),
    "token-unsupported-grant.json": ("TokenFunction", 400, "unsupported_grant_type", None),
    # a well-formed refresh token naming a family a fresh stack does not have
    "token-refresh.json": ("TokenFunction", 400, "invalid_grant", None),
    "token-client-credentials.json": ("TokenFunction", 200, None, "client-credentials"),
    "discovery-openid-configuration.json": ("DiscoveryFunction", 200, None, None),
    "discovery-jwks.json": ("DiscoveryFunction", 200, None, None),
    "discovery-system-info.json": ("DiscoveryFunction", 200, None, None),
    "introspection.json": ("SessionFunction", 200, None, "inactive"),
    "revocation.json": ("SessionFunction", 200, None, "empty"),
    "userinfo-get.json": ("SessionFunction", 401, "invalid_token", "bearer-challenge"),
    "userinfo-post-trailing-slash.json": ("SessionFunction", 401, "invalid_token", "bearer-challenge"),
    "session-end.json": ("SessionFunction", 200, None, "signed-out-page"),
    # the logout confirmation's POST from a browser without the session its token is bound to: nothing ends
    "session-end-confirmation-without-the-session-cookie.json": ("SessionFunction", 403, None, "expired-page"),
    # Authing's password sign-in as its Node SDK sends it with client_secret_post
    "authing-signin.json": ("TokenFunction", 200, None, "authing-envelope"),
    # the browser app's sign-in: the login page (zh-CN, from Accept-Language); prompt=none without a session
    "authorize-login-page.json": ("AuthorizeFunction", 200, None, "login-page"),
    "authorize-post-prompt-none.json": ("AuthorizeFunction", 302, None, "login-required"),
    # a login or consent form posted by a browser that was never shown the page: refused
    "login-without-the-pages-cookie.json": ("AuthorizeFunction", 403, None, "expired-page"),
    "consent-without-the-pages-cookie.json": ("AuthorizeFunction", 403, None, "expired-page"),
    # the consent page's URL (where a login sends the browser) opened by a browser that did not sign in: refused
    "consent-page-without-the-pages-cookie.json": ("AuthorizeFunction", 403, None, "expired-page"),
    # Authing's v3 self-service calls, as its SDKs send them for the public demo app
    "self-service-send-email-unknown-channel.json": ("SelfServiceFunction", 400, "invalid_request", None),
    "self-service-send-sms-country-not-listed.json": ("SelfServiceFunction", 400, "invalid_request", None),
    "self-service-signup-by-username.json": ("SelfServiceFunction", 200, None, "signed-up"),
    "self-service-verify-reset-wrong-code.json": ("SelfServiceFunction", 400, "invalid_grant", None),
    "self-service-reset-password-unknown-token.json": ("SelfServiceFunction", 400, "invalid_grant", None),
    "self-service-update-password-bad-token.json": ("SelfServiceFunction", 401, "invalid_token", "bearer-challenge"),
}


def _check_client_credentials(reply: Reply) -> None:
    body = reply.json()
    assert body["token_type"] == "Bearer" and body["scope"] == DEMO_API_SCOPE
    assert "id_token" not in body and "refresh_token" not in body


def _check_inactive(reply: Reply) -> None:
    assert reply.json() == {"active": False}


def _check_empty(reply: Reply) -> None:
    assert reply.text == ""


def _check_bearer_challenge(reply: Reply) -> None:
    assert reply.headers["www-authenticate"].startswith("Bearer")


def _check_signed_out_page(reply: Reply) -> None:
    assert reply.headers["content-type"].startswith("text/html")
    assert "location" not in reply.headers  # no client_id: never a redirect, even to a registered URI
    assert "signed out" in reply.text


def _check_authing_envelope(reply: Reply) -> None:
    body = reply.json()
    assert (body["statusCode"], body["message"]) == (200, "")
    assert set(body["data"]) == {"access_token", "id_token", "refresh_token", "token_type", "expire_in", "scope"}
    assert (body["data"]["token_type"], body["data"]["expire_in"]) == ("Bearer", 3600)


def _check_signed_up(reply: Reply) -> None:
    data = reply.json()["data"]
    assert data["username"] == "new-user" and data["nickname"] == "newbie" and data["userId"]


def _check_login_page(reply: Reply) -> None:
    assert reply.headers["content-type"].startswith("text/html") and reply.headers["x-frame-options"] == "DENY"
    assert '<html lang="zh-CN">' in reply.text and 'name="password"' in reply.text


def _check_login_required(reply: Reply) -> None:
    location = reply.headers["location"]
    assert location.startswith("http://127.0.0.1:53682/callback?error=login_required")
    assert "state=af0ifjsldkj" in location and "iss=" in location


def _check_expired_page(reply: Reply) -> None:
    assert reply.headers["content-type"].startswith("text/html") and "location" not in reply.headers


CHECKS = {"login-page": _check_login_page, "login-required": _check_login_required,
          "expired-page": _check_expired_page, "client-credentials": _check_client_credentials, "inactive": _check_inactive, "empty": _check_empty,
          "bearer-challenge": _check_bearer_challenge, "signed-out-page": _check_signed_out_page,
          "authing-envelope": _check_authing_envelope, "signed-up": _check_signed_up}


@pytest.fixture(scope="module")
def routes() -> dict[str, str]:
    """"METHOD /path" -> the function template.yaml routes it to."""
    found = {}
    for function in template.functions(template.load()).values():
        for method, path in function.routes:
            assert f"{method} {path}" not in found, f"{method} {path} is routed twice"
            found[f"{method} {path}"] = function.logical_id
    return found


def test_every_event_file_is_listed_here():
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(EXPECTED)


def test_every_route_has_an_event(routes):
    covered = {json.loads((EVENTS / name).read_text())["routeKey"] for name in EXPECTED}
    # the four userinfo routes are one handler: events for two of the method/path pairs stand for all four
    assert set(routes) - covered <= {"GET /oidc/me/", "POST /oidc/me"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event(handlers, stack, routes, name):
    # what LocalStack.start seeds, so each event answers here as `make invoke` answers it
    create_client(stack.target, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, name="Demo client",
                  scopes=(*KNOWN_SCOPES, DEMO_API_SCOPE), post_logout_redirect_uris=[DEMO_LOGOUT_REDIRECT])
    create_client(stack.target, DEMO_PUBLIC_CLIENT_ID, name="Demo browser app", auth_method="none",
                  post_logout_redirect_uris=[DEMO_LOGOUT_REDIRECT])
    create_client(stack.target, DEMO_BROWSER_CLIENT_ID, name="Demo browser sign-in", auth_method="none",
                  grant_types=("authorization_code", "refresh_token"), redirect_uris=DEMO_BROWSER_REDIRECT_URIS,
                  post_logout_redirect_uris=[DEMO_LOGOUT_REDIRECT])
    create_user(stack.target, DEMO_PASSWORD, **DEMO_USER)
    # the encrypted-password events carry ciphertexts made with JSEncrypt and sm-crypto for the demo keys
    replace_password_keys(stack.target, private_document=demo_password_keys())
    keyring.clear_cache()
    function, status, error, check = EXPECTED[name]
    event = json.loads((EVENTS / name).read_text())
    http = event["requestContext"]["http"]
    assert event["version"] == "2.0" and event["routeKey"] == f"{http['method']} {event['rawPath']}"
    assert event["requestContext"]["routeKey"] == event["routeKey"] and http["path"] == event["rawPath"]
    assert routes.get(event["routeKey"]) == function, f"template.yaml routes {event['routeKey']} elsewhere"
    reply = Reply(handlers[function](event, LambdaContext(function)))
    assert reply.status == status, reply
    if error:
        assert reply.json()["error"] == error
    if check:
        CHECKS[check](reply)
