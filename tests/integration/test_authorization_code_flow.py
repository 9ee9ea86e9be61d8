"""The authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1, RFC 9207, RFC 9700) through the
real AuthorizeFunction, TokenFunction and SessionFunction handlers against emulated AWS: the authorization
endpoint's checks and their order, the login page, browser sessions, consent, and the code grant."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qsl, urljoin, urlsplit

import boto3
import jwt
import pytest

from browser_helpers import HandlerBrowser, pkce_pair
from helpers import ISSUER, PASSWORD
from oidc_core.store import users
from oidc_tools.operations import create_client, set_password, sign_out, update_client

APP = "https://app.example.test/callback"
SPA, WEB, THIRD = "spa", "web", "partner"
WEB_SECRET = "web-secret-0123456789"
# The issuer is https: the cookies carry the `__Host-` prefix (RFC 6265bis §4.1.3.2)
SESSION, BINDING = "__Host-oidc_session", "__Host-oidc_browser"


@pytest.fixture
def clients(stack):
    create_client(stack.target, SPA, name="The SPA", auth_method="none",
                  grant_types=("authorization_code", "refresh_token"),
                  redirect_uris=(APP, "http://127.0.0.1/callback"))
    create_client(stack.target, WEB, WEB_SECRET, name="Web <b>app</b>", auth_method="client_secret_post",
                  grant_types=("authorization_code", "refresh_token"), redirect_uris=(APP,))
    create_client(stack.target, THIRD, name="Partner app", auth_method="none", third_party=True,
                  grant_types=("authorization_code",), redirect_uris=(APP,))


@pytest.fixture
def browser(handlers, clients, user):
    return HandlerBrowser(handlers)


def start(browser, client_id=SPA, **extra):
    verifier, challenge = pkce_pair()
    parameters = {"client_id": client_id, "redirect_uri": APP, "response_type": "code", "scope": "openid profile",
                  "state": "s-1", "nonce": "n-1", "code_challenge": challenge, "code_challenge_method": "S256",
                  **extra}
    return verifier, browser.authorize(**{name: value for name, value in parameters.items() if value is not None})


def sign_in(browser, client_id=SPA, identifier="alice", password=PASSWORD, **extra):
    verifier, page = start(browser, client_id, **extra)
    assert page.status == 200 and "<form" in page.text, page
    answer = browser.login(page, identifier, password)
    return verifier, answer


def redeem(browser, code, verifier, client_id=SPA, **extra):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": APP, "client_id": client_id,
            "code_verifier": verifier, **extra}
    return browser.token({name: value for name, value in form.items() if value is not None})


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def tokens_table(stack):
    return boto3.resource("dynamodb").Table(stack.target.tokens_table)


# -- the whole flow ------------------------------------------------------------------------------------------------

def test_a_public_client_signs_a_user_in_and_redeems_the_code(browser, user):
    verifier, answer = sign_in(browser, scope="openid profile email offline_access")
    assert answer.status == 303  # See Other after the POST
    assert answer.location.startswith(APP + "?")
    response = answer.callback()
    assert response["state"] == "s-1" and response["iss"] == ISSUER and len(response["code"]) >= 43
    session_cookie = answer.cookie(SESSION)
    assert session_cookie and "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Path=/;" in session_cookie and "Secure" in session_cookie  # the issuer is https

    tokens = redeem(browser, response["code"], verifier)
    assert tokens.status == 200, tokens
    body = json.loads(tokens.text)
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    id_token = claims(body["id_token"])
    assert id_token["sub"] == user.sub and id_token["aud"] == SPA and id_token["nonce"] == "n-1"
    assert id_token["amr"] == ["pwd"] and abs(id_token["auth_time"] - time.time()) < 60
    assert id_token["sid"] == session_cookie.split("=", 1)[1].split(".")[0]  # the session's public half
    assert id_token["at_hash"] and id_token["email"] == "Alice@Example.com"
    assert tokens.headers["cache-control"] == "no-store"


def test_discovery_says_what_the_authorization_endpoint_offers(stack, call_discovery):
    metadata = call_discovery("/oidc/.well-known/openid-configuration").json()
    assert metadata["authorization_endpoint"] == f"{ISSUER}/auth"
    assert metadata["response_types_supported"] == ["code"]
    assert set(metadata["response_modes_supported"]) == {"query", "fragment", "form_post"}
    assert "authorization_code" in metadata["grant_types_supported"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["prompt_values_supported"]) == {"none", "login", "consent", "select_account"}
    assert metadata["ui_locales_supported"] == ["zh-CN", "en"]
    assert metadata["request_parameter_supported"] is False and metadata["request_uri_parameter_supported"] is False
    assert metadata["authorization_response_iss_parameter_supported"] is True


# -- no open redirect: client and redirect URI first ------------------------------------------------------------

WRONG_CLIENT_OR_REDIRECT_URI = [
    ("nobody", APP),
    (SPA, "https://evil.example/callback"),
    (SPA, APP + "/"),
    (SPA, APP + "?x=1"),
    (SPA, "https://app.example.test:444/callback"),
    (SPA, None),
    (SPA, "http://127.0.0.1:8080/other"),
    (SPA, "http://localhost:8080/callback"),
    (SPA, "http://user@127.0.0.1:8080/callback"),
    (SPA, "http://127.0.0.1:8080\\@evil.example/callback"),
]


def test_a_wrong_client_or_redirect_uri_gets_a_page_and_goes_nowhere(browser):
    for client_id, redirect_uri in WRONG_CLIENT_OR_REDIRECT_URI:
        page = browser.authorize(client_id=client_id, response_type="token",
                                 **({"redirect_uri": redirect_uri} if redirect_uri else {}))
        assert page.status == 400 and page.location is None, redirect_uri
        assert "text/html" in page.headers["content-type"] and "redirect_uri" in page.text


def test_a_loopback_redirect_uri_may_name_any_port(browser):
    _, page = start(browser, redirect_uri="http://127.0.0.1:53117/callback", prompt="none")
    assert page.location.startswith("http://127.0.0.1:53117/callback?error=login_required")


REDIRECTED_ERRORS = [
    ({"response_type": None}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"response_type": "code id_token"}, "unsupported_response_type"),
    ({"request": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}, "request_not_supported"),
    ({"request_uri": "https://app.example.test/request.jwt"}, "request_uri_not_supported"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge_method": None}, "invalid_request"),  # absent means plain
    ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),  # a public client needs PKCE
    ({"code_challenge": "short"}, "invalid_request"),
    ({"scope": "openid admin"}, "invalid_scope"),
    ({"prompt": "none login"}, "invalid_request"),
    ({"max_age": "soon"}, "invalid_request"),
    ({"id_token_hint": "not.a.token"}, "invalid_request"),
    ({"response_mode": "jwt"}, "invalid_request"),
]


def test_every_other_error_goes_back_to_the_redirect_uri_with_state_and_iss(browser):
    for extra, error in REDIRECTED_ERRORS:
        _, page = start(browser, **extra)
        assert page.status == 302, (extra, page)
        response = page.callback()
        assert response["error"] == error and response["error_description"], extra
        assert response["state"] == "s-1" and response["iss"] == ISSUER
        assert re.fullmatch(r"[\x20-\x21\x23-\x5b\x5d-\x7e]+", response["error_description"])  # RFC 6749 §4.1.2.1


def test_pkce_is_required_of_a_confidential_client_registered_so(stack, browser):
    _, page = start(browser, WEB, code_challenge=None, code_challenge_method=None)
    assert page.status == 200  # a confidential client may go without (login page)
    update_client(stack.target, WEB, require_pkce=True)
    _, page = start(browser, WEB, code_challenge=None, code_challenge_method=None)
    assert page.callback()["error"] == "invalid_request"


def test_state_comes_back_byte_for_byte_and_is_absent_when_none_was_sent(browser):
    state = ("状态 & = ? # % + ; / \\ \" ' < > " * 100)[:4096]
    _, page = start(browser, state=state, prompt="none")
    assert page.callback()["state"] == state
    _, page = start(browser, state=None, prompt="none")
    assert "state" not in page.callback() and "state=" not in page.location


def test_fragment_and_form_post_response_modes(browser):
    verifier, page = start(browser, response_mode="fragment")
    answer = browser.login(page, "alice", PASSWORD)
    assert answer.location.startswith(APP + "#code=") and answer.callback()["iss"] == ISSUER

    _, page = start(browser, response_mode="form_post", state="<script>alert(1)</script>")
    assert page.status == 200 and page.location is None
    assert f'<form method="post" action="{APP}">' in page.text
    assert "<script>alert(1)</script>" not in page.text
    fields = page.callback()
    assert fields["state"] == "<script>alert(1)</script>" and fields["iss"] == ISSUER and fields["code"]
    policy = page.headers["content-security-policy"]
    assert "form-action 'self' https://app.example.test" in policy and "unsafe-inline" not in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", policy)


# -- the login page -------------------------------------------------------------------------------------------------

def test_the_login_page_is_locked_down_and_accessible(browser):
    _, page = start(browser, WEB, login_hint='"><img src=x onerror=alert(1)>')
    headers = page.headers
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'", policy) and "script-src" not in policy
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    text = page.text
    assert '<html lang="en">' in text
    assert '<label for="identifier">' in text and '<label for="password">' in text
    assert "<img src=x" not in text and 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in text
    assert "Web &lt;b&gt;app&lt;/b&gt;" in text and "<b>app</b>" not in text  # the client's name, escaped
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # nothing loaded from elsewhere
    binding = page.cookie(BINDING)
    assert binding and "HttpOnly" in binding and "Path=/;" in binding and "Secure" in binding  # as __Host- requires


LANGUAGES = [
    ("zh-CN", "en", "zh-CN", "密码"),
    ("fr zh-Hans", "en", "zh-CN", "密码"),
    (None, "fr;q=1, zh-CN;q=0.9, en;q=0.8", "zh-CN", "密码"),
    (None, "zh;q=0.5, en-GB;q=0.9", "en", "Password"),
    ("de", None, "en", "Password"),
]


def test_the_page_speaks_the_language_asked_for(handlers, clients):
    for ui_locales, accept_language, lang, word in LANGUAGES:
        browser = HandlerBrowser(handlers, accept_language=accept_language)
        _, page = start(browser, ui_locales=ui_locales)
        assert f'<html lang="{lang}">' in page.text and word in page.text, (ui_locales, accept_language)


def test_a_wrong_password_shows_the_page_again_with_one_generic_error(browser):
    _, page = start(browser)
    again = browser.login(page, "alice", "wrong password")
    unknown = browser.login(again, "nobody-here", "wrong password")
    for answer in (again, unknown):
        assert answer.status == 400 and answer.location is None and 'role="alert"' in answer.text
        assert "The account or password is not correct." in answer.text
        assert answer.cookie(SESSION) is None
    assert 'value="nobody-here"' in unknown.text  # the identifier is kept


def test_the_identifier_may_be_a_username_an_email_or_a_phone_number(browser):
    for identifier in ("alice", "alice@example.com", "13800138000"):
        browser.cookies.clear()
        _, answer = sign_in(browser, identifier=identifier)
        assert answer.status == 303 and "code" in answer.callback(), (identifier, answer)


def test_the_fifth_wrong_password_locks_and_the_page_does_not_say_so(browser, monkeypatch):
    from helpers import configure

    configure(monkeypatch, LOCKOUT_BASE_SECONDS=3600)  # a lock no slow machine outwaits
    _, page = start(browser)
    for _ in range(5):
        page = browser.login(page, "alice", "wrong password")
    locked = browser.login(page, "alice", PASSWORD)  # the right password, while locked
    assert locked.status == 400 and locked.location is None and locked.cookie(SESSION) is None
    assert re.sub(r'value="[^"]*"', "", locked.text) == re.sub(r'value="[^"]*"', "", page.text)
    assert "The account or password is not correct." in locked.text


def test_an_address_with_too_many_failures_gets_429_before_any_password_is_checked(browser, monkeypatch):
    from helpers import configure

    configure(monkeypatch, IP_FAILURE_THRESHOLD=2)
    _, page = start(browser)
    for _ in range(2):
        page = browser.login(page, "alice", "wrong password")
    throttled = browser.login(page, "alice", PASSWORD)
    assert throttled.status == 429 and throttled.cookie(SESSION) is None
    assert "Too many failed attempts from your network" in throttled.text


def test_a_visible_lockout_says_so_when_the_operator_chose_it(browser, monkeypatch):
    from helpers import configure

    configure(monkeypatch, LOCKOUT_VISIBLE="true", LOCKOUT_BASE_SECONDS=3600)
    _, page = start(browser)
    for _ in range(5):
        page = browser.login(page, "alice", "wrong password")
    locked = browser.login(page, "alice", PASSWORD)
    assert locked.status == 400 and "Too many failed attempts for this account" in locked.text
    assert "Too many failed attempts" not in page.text  # the fifth failure itself still says only "not correct"


def test_a_post_without_the_pages_token_is_refused(browser):
    _, page = start(browser)
    fields = page.hidden_fields()
    for missing in ("csrf_token", "interaction"):
        answer = browser.request("POST", "/oidc/login", form={**{k: v for k, v in fields.items() if k != missing},
                                                               "identifier": "alice", "password": PASSWORD})
        assert answer.status == 403 and answer.location is None and answer.cookie(SESSION) is None
    answer = browser.request("POST", "/oidc/login", form={**fields, "csrf_token": "A" * 43,
                                                           "identifier": "alice", "password": PASSWORD})
    assert answer.status == 403


def test_the_forms_fields_replayed_from_another_browser_log_nobody_in(handlers, clients, user):
    attacker, victim = HandlerBrowser(handlers), HandlerBrowser(handlers)
    _, page = start(attacker)
    start(victim)  # the victim's browser has a binding cookie of its own, from a login page it was shown
    assert victim.cookies[BINDING] != attacker.cookies[BINDING]
    # Login CSRF: the attacker's own page, its hidden fields and the attacker's password, posted by the victim's browser
    answer = victim.request("POST", "/oidc/login", form={**page.hidden_fields(), "identifier": "alice",
                                                          "password": PASSWORD})
    assert answer.status == 403 and answer.location is None and SESSION not in victim.cookies


def test_an_interaction_expires_after_ten_minutes(stack, browser):
    _, page = start(browser)
    interaction = page.hidden_fields()["interaction"]
    tokens_table(stack).update_item(Key={"pk": f"interaction#{interaction}"},
                                    UpdateExpression="SET expires_at = :past",
                                    ExpressionAttributeValues={":past": int(time.time()) - 1})
    assert browser.login(page, "alice", PASSWORD).status == 403


# -- browser sessions ---------------------------------------------------------------------------------------------

def test_prompt_none_answers_silently_with_a_session_and_login_required_without(browser):
    _, page = start(browser, prompt="none")
    assert page.callback()["error"] == "login_required"
    sign_in(browser)
    _, page = start(browser, prompt="none")
    assert page.status == 302 and "code" in page.callback()
    _, page = start(browser)  # no prompt at all: a code at once, no page
    assert page.status == 302 and "code" in page.callback()


def test_prompt_login_and_max_age_ask_again_and_auth_time_moves(stack, browser):
    verifier, answer = sign_in(browser)
    first = claims(json.loads(redeem(browser, answer.callback()["code"], verifier).text)["id_token"])
    _, page = start(browser, prompt="login")
    assert page.status == 200 and "<form" in page.text
    sid = browser.cookies[SESSION].split(".")[0]
    # The clock is the test's: the login happened 100 seconds ago.
    tokens_table(stack).update_item(Key={"pk": f"bsession#{sid}"}, UpdateExpression="SET auth_time = :then",
                                    ExpressionAttributeValues={":then": first["auth_time"] - 100})
    _, page = start(browser, max_age="10000")
    assert page.status == 302 and "code" in page.callback()
    _, page = start(browser, max_age="60")
    assert page.status == 200 and "<form" in page.text
    verifier, page = start(browser, max_age="60")
    answer = browser.login(page, "alice", PASSWORD)
    second = claims(json.loads(redeem(browser, answer.callback()["code"], verifier).text)["id_token"])
    assert second["auth_time"] >= first["auth_time"] > second["auth_time"] - 100 - 60
    assert second["sid"] != first["sid"]  # a new login is a new session


def test_an_id_token_hint_naming_someone_else_is_login_required(stack, browser, user):
    from oidc_tools.operations import create_user

    create_user(stack.target, "bob-password-123", username="bob")
    _, answer = sign_in(browser, identifier="bob", password="bob-password-123")
    verifier, answer = sign_in(HandlerBrowser(browser.handlers))  # alice, in another browser
    alices_id_token = json.loads(redeem(browser, answer.callback()["code"], verifier).text)["id_token"]
    _, page = start(browser, prompt="none", id_token_hint=alices_id_token)
    assert page.callback()["error"] == "login_required"


@pytest.mark.parametrize("ending", ["sign_out", "block", "password_change", "logout"])
def test_the_session_ends_with_a_sign_out_a_block_a_password_change_and_logout(stack, browser, user, ending):
    verifier, answer = sign_in(browser)
    if ending == "sign_out":
        sign_out(stack.target, user.sub)
    elif ending == "block":
        users.set_blocked(stack.target.users_table, user.sub, True)
    elif ending == "password_change":
        set_password(stack.target, user.sub, "a brand new password")
    else:  # without an id_token_hint the user confirms first (issue 23: the bare GET is a logout CSRF)
        asked = browser.request("GET", "/oidc/session/end")
        assert asked.status == 200 and asked.cookie(SESSION) is None
        page = browser.submit(asked, "/oidc/session/end", decision="allow")
        assert "Max-Age=0" in page.cookie(SESSION) and SESSION not in browser.cookies
        sid = answer.cookie(SESSION).split("=", 1)[1].split(".")[0]
        assert "Item" not in tokens_table(stack).get_item(Key={"pk": f"bsession#{sid}"})
        browser.cookies[SESSION] = answer.cookie(SESSION).split("=", 1)[1].split(";")[0]  # kept anyway
    _, page = start(browser, prompt="none")
    assert page.callback()["error"] == "login_required"


def test_logout_with_an_id_token_hint_ends_the_session_it_names(stack, browser):
    verifier, answer = sign_in(browser)
    id_token = json.loads(redeem(browser, answer.callback()["code"], verifier).text)["id_token"]
    elsewhere = HandlerBrowser(browser.handlers)  # the RP's back channel, without the browser's cookie
    elsewhere.request("GET", "/oidc/session/end", query=f"id_token_hint={id_token}")
    _, page = start(browser, prompt="none")
    assert page.callback()["error"] == "login_required"


def test_a_cookie_naming_someone_elses_session_ends_nothing(stack, browser):
    sign_in(browser)
    sid = browser.cookies[SESSION].split(".")[0]
    forger = HandlerBrowser(browser.handlers)
    forger.cookies[SESSION] = f"{sid}.{'A' * 43}"
    _, page = start(forger, prompt="none")
    assert page.callback()["error"] == "login_required"
    asked = forger.request("GET", "/oidc/session/end")
    forger.submit(asked, "/oidc/session/end", decision="allow")
    _, page = start(browser, prompt="none")
    assert "code" in page.callback()


def test_the_session_idle_limit(stack, browser):
    sign_in(browser)
    sid = browser.cookies[SESSION].split(".")[0]
    tokens_table(stack).update_item(Key={"pk": f"bsession#{sid}"}, UpdateExpression="SET expires_at = :past",
                                    ExpressionAttributeValues={":past": int(time.time()) - 1})
    _, page = start(browser, prompt="none")
    assert page.callback()["error"] == "login_required"


def test_using_the_session_moves_its_idle_limit_but_never_past_the_absolute_one(stack, browser):
    sign_in(browser)
    sid = browser.cookies[SESSION].split(".")[0]
    table, now = tokens_table(stack), int(time.time())
    # Last used two hours ago, with an hour of idle time left; the absolute limit is two days away.
    table.update_item(Key={"pk": f"bsession#{sid}"},
                      UpdateExpression="SET last_seen = :seen, expires_at = :idle, absolute_expires_at = :absolute",
                      ExpressionAttributeValues={":seen": now - 7200, ":idle": now + 3600, ":absolute": now + 172800})
    _, page = start(browser, prompt="none")
    assert "code" in page.callback()
    item = table.get_item(Key={"pk": f"bsession#{sid}"})["Item"]
    assert now + 86400 - 5 <= item["expires_at"] <= now + 86400 + 60  # a day of idle time again (the default)
    table.update_item(Key={"pk": f"bsession#{sid}"},
                      UpdateExpression="SET last_seen = :seen, absolute_expires_at = :absolute",
                      ExpressionAttributeValues={":seen": now - 7200, ":absolute": now + 600})
    start(browser, prompt="none")
    assert table.get_item(Key={"pk": f"bsession#{sid}"})["Item"]["expires_at"] == now + 600


# -- consent ---------------------------------------------------------------------------------------------------------

def test_a_third_party_client_asks_for_consent_once_and_again_with_prompt_consent(browser):
    _, signed_in = sign_in(browser, THIRD, scope="openid email")
    answer = browser.follow(signed_in)
    assert answer.status == 200 and 'value="allow"' in answer.text
    assert "See your email address" in answer.text and "Partner app" in answer.text
    allowed = browser.submit(answer, "/oidc/consent", decision="allow")
    assert allowed.status == 303 and "code" in allowed.callback()
    _, page = start(browser, THIRD, scope="openid email")
    assert page.status == 302 and "code" in page.callback()  # remembered
    _, page = start(browser, THIRD, scope="openid email", prompt="none")
    assert "code" in page.callback()
    _, page = start(browser, THIRD, scope="openid email", prompt="consent")
    assert page.status == 200 and 'value="allow"' in page.text
    denied = browser.submit(page, "/oidc/consent", decision="deny")
    assert denied.callback()["error"] == "access_denied" and denied.callback()["iss"] == ISSUER


def test_after_a_login_the_consent_page_is_a_get_that_a_reload_shows_again(browser):
    """Post-redirect-get: the login POST answers See Other to GET /oidc/consent, so a reload shows the consent page
    again (it neither posts the password twice nor says "expired"), only to the browser that signed in, with the
    pages' headers; each showing has its own CSRF token, and an answered consent is not shown again."""
    _, signed_in = sign_in(browser, THIRD, scope="openid email")
    assert signed_in.status == 303 and signed_in.cookie(SESSION)
    target = urlsplit(urljoin(ISSUER + "/login", signed_in.location))
    assert (target.scheme, target.netloc, target.path) == tuple(urlsplit(ISSUER + "/consent")[:3])
    first = browser.follow(signed_in)
    assert first.status == 200 and 'value="allow"' in first.text and "Partner app" in first.text
    assert "frame-ancestors 'none'" in first.headers["content-security-policy"]
    assert first.headers["x-frame-options"] == "DENY" and first.headers["cache-control"] == "no-store"
    assert first.headers["referrer-policy"] == "no-referrer"
    reloaded = browser.follow(signed_in)
    assert reloaded.status == 200 and 'value="allow"' in reloaded.text
    assert reloaded.hidden_fields()["csrf_token"] != first.hidden_fields()["csrf_token"]

    other = HandlerBrowser(browser.handlers)
    start(other, THIRD)  # a browser of its own, with its own binding cookie, that has the consent page's URL
    assert BINDING in other.cookies
    stolen = other.follow(signed_in)
    assert stolen.status == 403 and 'value="allow"' not in stolen.text
    assert other.submit(reloaded, "/oidc/consent", decision="allow").status == 403

    assert browser.submit(first, "/oidc/consent", decision="allow").status == 403  # the earlier showing's token
    allowed = browser.submit(reloaded, "/oidc/consent", decision="allow")
    assert allowed.status == 303 and "code" in allowed.callback()
    assert browser.follow(signed_in).status == 403  # answered


def test_the_consent_page_after_a_login_expires(stack, browser):
    _, signed_in = sign_in(browser, THIRD, scope="openid email")
    interaction = dict(parse_qsl(urlsplit(signed_in.location).query))["interaction"]
    tokens_table(stack).update_item(Key={"pk": f"interaction#{interaction}"}, UpdateExpression="SET expires_at = :past",
                                    ExpressionAttributeValues={":past": int(time.time()) - 1})
    assert browser.follow(signed_in).status == 403


def test_the_consent_page_in_chinese_and_consent_required_with_prompt_none(handlers, clients, user):
    browser = HandlerBrowser(handlers, accept_language="zh-CN")
    sign_in(browser)  # a session, with the first-party app
    _, page = start(browser, THIRD, scope="openid phone", prompt="none")
    assert page.callback()["error"] == "consent_required"
    _, page = start(browser, THIRD, scope="openid phone")
    assert '<html lang="zh-CN">' in page.text and "查看您的手机号" in page.text


# -- the code grant ---------------------------------------------------------------------------------------------------

def test_a_code_is_redeemed_once_and_a_second_redemption_revokes_what_the_first_issued(browser):
    verifier, answer = sign_in(browser, scope="openid offline_access")
    code = answer.callback()["code"]
    first = json.loads(redeem(browser, code, verifier).text)
    assert browser.request("GET", "/oidc/me", headers={"authorization": f"Bearer {first['access_token']}"}).status == 200
    again = redeem(browser, code, verifier)
    assert again.status == 400 and json.loads(again.text)["error"] == "invalid_grant"
    assert browser.request("GET", "/oidc/me", headers={"authorization": f"Bearer {first['access_token']}"}).status == 401
    refreshed = browser.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                               "client_id": SPA})
    assert refreshed.status == 400 and json.loads(refreshed.text)["error"] == "invalid_grant"


def test_a_code_is_stored_only_as_a_digest(stack, browser):
    _, answer = sign_in(browser)
    code = answer.callback()["code"]
    items = tokens_table(stack).scan()["Items"]
    assert code not in json.dumps(items, default=str)
    stored = [item for item in items if item["pk"].startswith("code#")]
    assert len(stored) == 1 and stored[0]["expires_at"] - stored[0]["issued_at"] == 60


BINDING_BROKEN = [
    ({"client_id": WEB, "client_secret": WEB_SECRET}, "invalid_grant"),  # a code stolen for another client
    ({"redirect_uri": "http://127.0.0.1/callback"}, "invalid_grant"),
    ({"redirect_uri": None}, "invalid_grant"),
    ({"code_verifier": None}, "invalid_grant"),
    ({"code_verifier": "a" * 43}, "invalid_grant"),
    ({"code_verifier": "a" * 42}, "invalid_request"),
    ({"code_verifier": "a" * 129}, "invalid_request"),
    ({"code_verifier": "a" * 42 + "!"}, "invalid_request"),
    ({"code": "made-up"}, "invalid_grant"),
]


def test_a_code_is_bound_to_its_client_redirect_uri_and_challenge(browser):
    verifier, answer = sign_in(browser)
    code = answer.callback()["code"]
    for change, error in BINDING_BROKEN:
        change = dict(change)
        reply = redeem(browser, change.pop("code", code), verifier, **change)
        assert reply.status == 400 and json.loads(reply.text)["error"] == error, change
    assert redeem(browser, code, verifier).status == 200  # refused attempts do not use the code up


def test_a_verifier_for_a_code_issued_without_a_challenge_is_refused(browser):
    _, page = start(browser, WEB, code_challenge=None, code_challenge_method=None)
    code = browser.login(page, "alice", PASSWORD).callback()["code"]
    reply = redeem(browser, code, "a" * 43, WEB, client_secret=WEB_SECRET)
    assert reply.status == 400 and json.loads(reply.text)["error"] == "invalid_grant"


def test_a_confidential_client_authenticates_and_an_expired_code_is_refused(stack, browser):
    verifier, page = start(browser, WEB)
    code = browser.login(page, "alice", PASSWORD).callback()["code"]
    assert redeem(browser, code, verifier, WEB).status == 401  # no secret
    assert redeem(browser, code, verifier, WEB, client_secret="wrong").status == 401
    for item in tokens_table(stack).scan()["Items"]:
        if item["pk"].startswith("code#"):
            tokens_table(stack).update_item(Key={"pk": item["pk"]}, UpdateExpression="SET expires_at = :past",
                                            ExpressionAttributeValues={":past": int(time.time()) - 1})
    reply = redeem(browser, code, verifier, WEB, client_secret=WEB_SECRET)
    assert reply.status == 400 and json.loads(reply.text)["error"] == "invalid_grant"


def test_a_user_blocked_after_the_login_gets_no_tokens(stack, browser, user):
    verifier, answer = sign_in(browser)
    users.set_blocked(stack.target.users_table, user.sub, True)
    assert redeem(browser, answer.callback()["code"], verifier).status == 400


def test_the_code_lifetime_is_a_template_parameter_of_at_most_ten_minutes():
    from oidc_tools import template

    parameter = template.load()["Parameters"]["AuthorizationCodeTtl"]
    assert parameter["Default"] == 60 and parameter["MaxValue"] == 600


# -- oidc-admin -------------------------------------------------------------------------------------------------------

def test_oidc_admin_registers_a_browser_client(run_admin, handlers, user):
    code, printed, _ = run_admin("client", "create", "cli-app", "--auth-method", "client_secret_post",
                                 "--grant-types", "authorization_code refresh_token", "--redirect-uri", APP,
                                 "--redirect-uri", "http://[::1]/cb", "--third-party", "--require-pkce")
    assert code == 0 and printed["redirect_uris"] == sorted([APP, "http://[::1]/cb"])
    assert printed["third_party"] is True and printed["require_pkce"] is True and printed["client_secret"]
    browser = HandlerBrowser(handlers)
    _, page = start(browser, "cli-app", code_challenge=None, code_challenge_method=None)
    assert page.callback()["error"] == "invalid_request"  # --require-pkce
    _, page = start(browser, "cli-app")
    assert page.status == 200  # the login page
    code, printed, _ = run_admin("client", "update", "cli-app", "--no-third-party", "--redirect-uri", APP)
    assert code == 0 and printed["third_party"] is False and printed["require_pkce"] is True
    assert printed["redirect_uris"] == [APP]


def test_oidc_admin_refuses_a_redirect_uri_that_is_not_safe(run_admin, stack):
    for uri in ("http://app.example.test/cb", "https://app.example.test/cb#x", "https://user@app.example.test/cb",
                "https://app.example.test/a b", "https://app.example.test/a\\b", "https://app.example.test/\x07",
                "http://localhost:8080/cb", "app://callback"):
        code, printed, error = run_admin("client", "create", "bad-app", "--auth-method", "none",
                                         "--grant-types", "authorization_code", "--redirect-uri", uri)
        assert code == 1 and printed is None and "redirect URI" in error and error.count("\n") == 1, uri


def test_the_code_grant_needs_a_redirect_uri(run_admin, stack):
    code, _, error = run_admin("client", "create", "no-uri", "--auth-method", "none",
                               "--grant-types", "authorization_code")
    assert code == 1 and "redirect URI" in error
