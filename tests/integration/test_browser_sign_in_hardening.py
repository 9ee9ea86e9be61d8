"""Issue 23's browser rules and issue 27's words, through the real AuthorizeFunction, TokenFunction and
SessionFunction handlers against emulated AWS: why a code is refused, a replay that cannot revoke, loopback apps
confirmed by the user (RFC 8252 §8.6), `__Host-` cookies, HSTS and repeated cookies, the logout confirmation,
consent after logout, forms posted twice at once, and the checks a mutation pass found untested."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from browser_helpers import HandlerBrowser, pkce_pair
from helpers import PASSWORD
from oidc_core.store import authorization_codes, interactions
from oidc_tools.stack.operations import create_client, set_password, sign_out, update_client
from test_authorization_code_flow import (APP, BINDING, SESSION, SPA, THIRD, claims, clients, redeem,  # noqa: F401
                                          sign_in, start, tokens_table)

LOOPBACK = "http://127.0.0.1:53117/callback"  # the SPA registered http://127.0.0.1/callback: any port may follow
LOGOUT_URI = "https://app.example.test/signed-out"
ONE_YEAR = 365 * 24 * 3600


@pytest.fixture
def browser(handlers, clients, user):  # noqa: F811
    return HandlerBrowser(handlers)


def refusal(answer) -> str:
    body = json.loads(answer.text)
    assert answer.status == 400 and body["error"] == "invalid_grant", answer
    return body["error_description"]


def code_and_verifier(browser, **extra) -> tuple[str, str]:
    """A code: at once from the browser's session, or after the login page."""
    verifier, answer = start(browser, **extra)
    if answer.status == 200:
        answer = browser.login(answer, "alice", PASSWORD)
    return answer.callback()["code"], verifier


def held_at_a_barrier(function):
    """`function` as it is, except that two calls wait for each other before either runs it: two requests that
    both got past their reads meet at the write, whatever the machine's speed. The wait has a deadline."""
    barrier = threading.Barrier(2, timeout=60)

    def together(*arguments, **keywords):
        barrier.wait()
        return function(*arguments, **keywords)
    return together


def twin(browser: HandlerBrowser) -> HandlerBrowser:
    """The same browser, for a second request at the same moment (its own cookie jar, same cookies)."""
    other = HandlerBrowser(browser.handlers)
    other.cookies = dict(browser.cookies)
    return other


# -- issue 27 point 2: the code grant says why ------------------------------------------------------------------------

def test_a_refused_code_says_why_and_the_log_keeps_the_reason(stack, browser, caplog):
    code, verifier = code_and_verifier(browser)
    assert "redirect_uri" in refusal(redeem(browser, code, verifier, redirect_uri=APP + "/other"))
    assert "PKCE" in refusal(redeem(browser, code, secrets.token_urlsafe(32)))  # a well-formed verifier, not this code's
    assert "PKCE" in refusal(redeem(browser, code, None))
    assert "unknown" in refusal(redeem(browser, "made-up-" + "A" * 35, verifier))
    reasons = [getattr(record, "reason", None) for record in caplog.records
               if record.getMessage() == "authorization code refused"]
    assert reasons == ["redirect_uri", "code_verifier", "code_verifier", "unknown"]

    code, verifier = code_and_verifier(browser)
    digest = hashlib.sha256(code.encode()).hexdigest()
    tokens_table(stack).update_item(Key={"pk": f"code#{digest}"}, UpdateExpression="SET expires_at = :past",
                                    ExpressionAttributeValues={":past": int(time.time()) - 1})
    assert "expired" in refusal(redeem(browser, code, verifier))

    code, verifier = code_and_verifier(browser)
    assert redeem(browser, code, verifier).status == 200
    assert "already used" in refusal(redeem(browser, code, verifier))


# -- issue 23 point 5: only the code's holder can make a replay revoke ------------------------------------------------

def test_a_replay_without_the_verifier_revokes_nothing_and_one_with_it_revokes_everything(browser):
    code, verifier = code_and_verifier(browser, scope="openid offline_access")
    issued = json.loads(redeem(browser, code, verifier).text)
    bearer = {"authorization": f"Bearer {issued['access_token']}"}
    for replay in ({"code_verifier": "y" * 43}, {"code_verifier": None}, {"redirect_uri": APP + "/x"}):
        assert refusal(redeem(browser, code, replay.pop("code_verifier", verifier), **replay))
        assert browser.request("GET", "/oidc/me", headers=bearer).status == 200, replay
    refreshed = browser.token({"grant_type": "refresh_token", "refresh_token": issued["refresh_token"],
                               "client_id": SPA})
    assert refreshed.status == 200, refreshed
    refusal(redeem(browser, code, verifier))  # the rightful holder's replay: a stolen code, everything goes
    assert browser.request("GET", "/oidc/me", headers=bearer).status == 401


# -- issue 23 point 6: loopback apps ---------------------------------------------------------------------------------

def test_a_loopback_app_gets_a_code_from_a_session_only_after_the_user_confirms(browser):
    sign_in(browser)  # a live session
    _, silent = start(browser, redirect_uri=LOOPBACK, prompt="none", scope="openid offline_access")
    assert silent.location.startswith(LOOPBACK + "?") and silent.callback()["error"] == "interaction_required"
    assert "code" not in silent.callback()

    verifier, page = start(browser, redirect_uri=LOOPBACK, scope="openid offline_access")
    assert page.status == 200 and page.location is None and "The SPA" in page.text
    assert 'value="allow"' in page.text and 'id="password"' not in page.text  # one click, no password
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy and "http://127.0.0.1:53117" in policy
    assert browser.submit(page, "/oidc/consent", decision="allow", csrf_token="A" * 43).status == 403
    allowed = browser.submit(page, "/oidc/consent", decision="allow")
    assert allowed.status == 303 and allowed.location.startswith(LOOPBACK + "?")
    tokens = redeem(browser, allowed.callback()["code"], verifier, redirect_uri=LOOPBACK)
    assert tokens.status == 200 and json.loads(tokens.text)["refresh_token"]

    _, again = start(browser, redirect_uri=LOOPBACK)  # asked every time: nothing is remembered
    assert again.status == 200 and 'value="allow"' in again.text
    denied = browser.submit(again, "/oidc/consent", decision="deny")
    assert denied.callback()["error"] == "access_denied" and "code" not in denied.callback()


def test_a_loopback_app_gets_its_code_right_after_the_user_signs_in(browser):
    _, answer = sign_in(browser, redirect_uri=LOOPBACK)
    assert answer.status == 303 and answer.location.startswith(LOOPBACK) and "code" in answer.callback()


def test_the_loopback_confirmation_speaks_chinese(handlers, clients, user):  # noqa: F811
    browser = HandlerBrowser(handlers, accept_language="zh-CN")
    sign_in(browser)
    _, page = start(browser, redirect_uri=LOOPBACK)
    assert '<html lang="zh-CN">' in page.text and "继续" in page.text and "The SPA" in page.text


def test_a_third_party_loopback_apps_name_is_escaped_on_its_confirmation(stack, handlers, user):
    create_client(stack.target, "native", name="<img src=x onerror=alert(1)>", auth_method="none",
                  grant_types=("authorization_code",), redirect_uris=("http://127.0.0.1/callback",))
    browser = HandlerBrowser(handlers)
    sign_in(browser, "native", redirect_uri=LOOPBACK)
    _, page = start(browser, "native", redirect_uri=LOOPBACK)
    assert page.status == 200 and "&lt;img src=x onerror=alert(1)&gt;" in page.text and "<img" not in page.text


# -- issue 23 point 7: cookies ---------------------------------------------------------------------------------------

def test_over_https_the_cookies_are_host_only_and_every_answer_carries_hsts(browser):
    _, page = start(browser)
    _, answer = sign_in(browser)
    logout = browser.request("GET", "/oidc/session/end")
    for header in (page.cookie(BINDING), answer.cookie(SESSION)):
        attributes = [part.strip() for part in header.split(";")]
        assert "Path=/" in attributes and "Secure" in attributes and "HttpOnly" in attributes
        assert not any(part.lower().startswith("domain=") for part in attributes)  # __Host-: no Domain
    for response in (page, answer, logout):
        max_age = response.headers["strict-transport-security"].split("max-age=")[1].split(";")[0]
        assert int(max_age) >= ONE_YEAR, response


def authorize_with_cookies(handlers, cookie_header: str, **extra) -> dict:
    verifier, challenge = pkce_pair()
    query = urlencode({"client_id": SPA, "redirect_uri": APP, "response_type": "code", "scope": "openid",
                       "code_challenge": challenge, "code_challenge_method": "S256", **extra})
    fresh = HandlerBrowser(handlers)  # no jar: the header is sent as written
    return fresh.request("GET", "/oidc/auth", query=query, headers={"cookie": cookie_header}).callback()


def test_a_session_cookie_sent_twice_or_without_its_prefix_counts_as_none(browser):
    sign_in(browser)
    value = browser.cookies[SESSION]
    planted = f"{'P' * 22}.{'Q' * 43}"
    assert "code" in authorize_with_cookies(browser.handlers, f"{SESSION}={value}", prompt="none")
    for header in (f"{SESSION}={value}; {SESSION}={planted}", f"{SESSION}={planted}; {SESSION}={value}",
                   f"oidc_session={value}"):
        assert authorize_with_cookies(browser.handlers, header, prompt="none")["error"] == "login_required", header


def test_over_plain_http_the_cookies_keep_their_bare_names_and_no_hsts():
    from oidc_core.config import load_settings
    from oidc_core.store import browser_sessions

    local = load_settings({"ISSUER": "http://127.0.0.1:3000/oidc"})
    assert browser_sessions.set_cookie("v", local).split(";")[0] == "oidc_session=v"
    assert "Secure" not in browser_sessions.set_cookie("v", local)
    assert browser_sessions.transport_headers(local) == {}
    assert browser_sessions.presented({"oidc_session": "v"}, browser_sessions.COOKIE_NAME, local) == "v"


# -- issue 23 point 11 and 12: consent after logout, forms posted twice, echoes, logout CSRF ------------------------

def confirmed_logout(browser) -> None:
    asked = browser.request("GET", "/oidc/session/end")
    assert browser.submit(asked, "/oidc/session/end", decision="allow").status == 200


def test_a_consent_posted_after_a_logout_gets_no_code(browser):
    _, signed_in = sign_in(browser, THIRD, scope="openid email")
    consent = browser.follow(signed_in)
    kept = browser.cookies[SESSION]
    confirmed_logout(browser)
    answer = browser.submit(consent, "/oidc/consent", decision="allow")
    assert answer.status == 403 and answer.location is None
    browser.cookies[SESSION] = kept  # a browser that kept the ended session's cookie gets nothing either
    assert browser.submit(consent, "/oidc/consent", decision="allow").status == 403


def test_the_same_login_form_posted_twice_logs_in_once(browser):
    _, page = start(browser)
    first = browser.login(page, "alice", PASSWORD)
    again = browser.login(page, "alice", PASSWORD)
    assert "code" in first.callback()
    assert again.status == 403 and again.location is None and again.cookie(SESSION) is None


def test_the_same_login_form_posted_twice_at_once_logs_in_once(browser, monkeypatch):
    _, page = start(browser)
    other = twin(browser)
    monkeypatch.setattr(interactions, "finish", held_at_a_barrier(interactions.finish))
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda each: each.login(page, "alice", PASSWORD), (browser, other)))
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [303, 403], answers
    refused = next(answer for answer in answers if answer.status == 403)
    assert refused.location is None and refused.cookie(SESSION) is None


def test_the_same_consent_posted_twice_at_once_gets_one_code(browser, monkeypatch):
    _, signed_in = sign_in(browser, THIRD, scope="openid email")
    consent = browser.follow(signed_in)
    other = twin(browser)
    monkeypatch.setattr(interactions, "finish", held_at_a_barrier(interactions.finish))
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda each: each.submit(consent, "/oidc/consent", decision="allow"),
                                (browser, other)))
    assert sorted(answer.status for answer in answers) == [303, 403], answers


def test_an_error_description_echoes_no_parameter_name(browser):
    name = "<img src=x onerror=alert(1)>"
    _, page = start(browser, **{name: "x" * 9000})
    response = page.callback()
    assert response["error"] == "invalid_request"
    assert "img" not in response["error_description"] and "onerror" not in response["error_description"]


def test_a_logout_without_a_hint_asks_first_and_only_this_browsers_confirmation_ends_the_session(browser):
    sign_in(browser)
    asked = browser.request("GET", "/oidc/session/end", query="client_id=spa&state=s")
    assert asked.status == 200 and asked.location is None and 'value="allow"' in asked.text
    assert asked.cookie(SESSION) is None and "unsafe-inline" not in asked.headers["content-security-policy"]
    assert "code" in start(browser, prompt="none")[1].callback()  # the GET alone ended nothing

    forged = {**asked.hidden_fields(), "csrf_token": "0" * 64, "decision": "allow"}
    refused = browser.request("POST", "/oidc/session/end", form=forged)
    assert refused.status == 403 and refused.cookie(SESSION) is None  # nor is the cookie cleared
    attacker = HandlerBrowser(browser.handlers)
    sign_in(attacker)  # a session of its own, and the victim's page's token
    assert attacker.submit(asked, "/oidc/session/end", decision="allow").status == 403
    stayed = browser.submit(asked, "/oidc/session/end", decision="deny")
    assert stayed.status == 200 and stayed.cookie(SESSION) is None
    assert "code" in start(browser, prompt="none")[1].callback()

    done = browser.submit(asked, "/oidc/session/end", decision="allow")
    assert done.status == 200 and "Max-Age=0" in done.cookie(SESSION)
    assert start(browser, prompt="none")[1].callback()["error"] == "login_required"


def test_a_confirmed_logout_returns_to_the_registered_uri_and_speaks_chinese(stack, handlers, clients, user):  # noqa: F811
    update_client(stack.target, SPA, post_logout_redirect_uris=[LOGOUT_URI])
    browser = HandlerBrowser(handlers, accept_language="zh-CN")
    sign_in(browser)
    asked = browser.request("GET", "/oidc/session/end",
                            query=urlencode({"client_id": SPA, "post_logout_redirect_uri": LOGOUT_URI, "state": "s"}))
    assert '<html lang="zh-CN">' in asked.text and "退出登录" in asked.text
    assert "https://app.example.test" in asked.headers["content-security-policy"]  # the POST redirects there
    done = browser.submit(asked, "/oidc/session/end", decision="allow")
    assert done.status == 302 and done.location == LOGOUT_URI + "?state=s"


# -- issue 23 point 13: what the mutation pass found untested ---------------------------------------------------------

def test_a_code_challenge_is_exactly_43_characters(browser):
    _, challenge = pkce_pair()
    for wrong in (challenge + "A", challenge[:42], challenge + "\n"):
        _, page = start(browser, code_challenge=wrong)
        assert page.callback()["error"] == "invalid_request", wrong
    _, page = start(browser, code_challenge=challenge)
    assert page.status == 200  # the login page


def test_a_code_verifier_with_a_trailing_newline_is_refused(browser):
    code, verifier = code_and_verifier(browser)
    answer = redeem(browser, code, verifier + "\n")
    assert answer.status == 400 and json.loads(answer.text)["error"] == "invalid_request"


def test_max_age_0_asks_for_the_password_even_with_a_session_just_made(stack, browser):
    sign_in(browser)
    sid = browser.cookies[SESSION].split(".")[0]
    # The login is put a minute in the future, so that "older than max_age" cannot hold whatever the machine's speed
    tokens_table(stack).update_item(Key={"pk": f"bsession#{sid}"}, UpdateExpression="SET auth_time = :t",
                                    ExpressionAttributeValues={":t": int(time.time()) + 60})
    _, page = start(browser, max_age="0")
    assert page.status == 200 and 'id="password"' in page.text
    _, page = start(browser, max_age="0", prompt="none")
    assert page.callback()["error"] == "login_required"


def test_consent_covers_only_the_scopes_agreed_to(browser):
    _, signed_in = sign_in(browser, THIRD, scope="openid email")
    assert browser.submit(browser.follow(signed_in), "/oidc/consent", decision="allow").status == 303
    _, page = start(browser, THIRD, scope="openid phone", prompt="none")
    assert page.callback()["error"] == "consent_required"
    _, page = start(browser, THIRD, scope="openid email phone", prompt="none")
    assert page.callback()["error"] == "consent_required"


def test_a_third_party_clients_name_is_escaped_on_the_consent_page(stack, handlers, user):
    create_client(stack.target, "evil", name='<img src=x onerror=alert(1)>"', auth_method="none", third_party=True,
                  grant_types=("authorization_code",), redirect_uris=(APP,))
    browser = HandlerBrowser(handlers)
    _, signed_in = sign_in(browser, "evil", scope="openid email")
    page = browser.follow(signed_in)
    assert page.status == 200 and "&lt;img src=x onerror=alert(1)&gt;&quot;" in page.text and "<img" not in page.text


def test_two_redemptions_at_once_give_tokens_once(browser, monkeypatch):
    # Without offline_access: with it, the loser may revoke the refresh token family before the winner starts it,
    # and then both answer invalid_grant (RFC 6749 §4.1.2 allows it), depending on the machine's timing
    code, verifier = code_and_verifier(browser, scope="openid")
    other = twin(browser)
    monkeypatch.setattr(authorization_codes, "redeem", held_at_a_barrier(authorization_codes.redeem))
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda each: redeem(each, code, verifier), (browser, other)))
    assert sorted(answer.status for answer in answers) == [200, 400], answers
    winner = json.loads(next(answer for answer in answers if answer.status == 200).text)
    bearer = {"authorization": f"Bearer {winner['access_token']}"}
    assert browser.request("GET", "/oidc/me", headers=bearer).status == 401  # the loser revoked what it got


def test_the_id_tokens_auth_time_is_the_sessions_not_the_redemptions(stack, browser):
    sign_in(browser)
    sid = browser.cookies[SESSION].split(".")[0]
    signed_in_at = int(time.time()) - 1000
    tokens_table(stack).update_item(Key={"pk": f"bsession#{sid}"}, UpdateExpression="SET auth_time = :t",
                                    ExpressionAttributeValues={":t": signed_in_at})
    verifier, page = start(browser, prompt="none")
    tokens = json.loads(redeem(browser, page.callback()["code"], verifier).text)
    assert claims(tokens["id_token"])["auth_time"] == signed_in_at


@pytest.mark.parametrize("ending", ["sign_out", "password_change"])
def test_a_code_redeemed_after_the_user_was_signed_out_gets_nothing(stack, browser, user, ending):
    code, verifier = code_and_verifier(browser)
    if ending == "sign_out":
        sign_out(stack.target, user.sub)
    else:
        set_password(stack.target, user.sub, "a brand new password")
    assert "ended" in refusal(redeem(browser, code, verifier))


# -- issue 27 point 7: the login page's words and focus ---------------------------------------------------------------

def test_after_a_wrong_password_the_focus_is_on_the_password_and_the_pause_is_mentioned(handlers, clients, user):  # noqa: F811
    for language, pause in (("en", "sign-in pauses for a while"), ("zh-CN", "登录将暂停一段时间")):
        browser = HandlerBrowser(handlers, accept_language=language)
        _, page = start(browser)
        assert 'id="identifier" name="identifier"' in page.text and "autofocus" in page.text.split('id="password"')[0]
        again = browser.login(page, "alice", "wrong password")
        identifier_field, password_field = (again.text.split('<input id="identifier"')[1].split(">")[0],
                                            again.text.split('<input id="password"')[1].split(">")[0])
        assert "autofocus" in password_field and "autofocus" not in identifier_field
        assert pause in again.text
        unknown = browser.login(again, "nobody-here", "wrong password")
        assert pause in unknown.text  # everyone alike: it tells nothing about the account


def test_invalid_scope_names_the_unknown_scope_only_when_it_is_plain_text(browser):
    _, page = start(browser, scope="openid orders:read")
    assert page.callback() ["error_description"] == "unknown scope: orders:read"
    _, page = start(browser, scope="openid <script>")
    assert page.callback()["error_description"] == "unknown scope"


# -- issue 24 point 1: the interaction policy's records -------------------------------------------------------------

def test_the_interaction_keeps_its_step_and_the_login_result_and_the_code_the_steps_amr(stack, browser, user):
    _, signed_in = sign_in(browser, THIRD, scope="openid email")
    interaction = dict(parse_qsl(urlsplit(signed_in.location).query))["interaction"]
    item = tokens_table(stack).get_item(Key={"pk": f"interaction#{interaction}"})["Item"]
    assert (item["step"], item["reason"]) == ("consent", "scopes_not_granted")
    login = json.loads(item["results"])["login"]
    assert login["sub"] == user.sub and login["amr"] == ["pwd"] and login["sid"] == browser.cookies[SESSION][:22]

    # The code carries the amr of the login step, here the session's (as a factor step would have left it)
    sid = browser.cookies[SESSION].split(".")[0]
    tokens_table(stack).update_item(Key={"pk": f"bsession#{sid}"}, UpdateExpression="SET amr = :amr",
                                    ExpressionAttributeValues={":amr": ["pwd", "otp"]})
    verifier, page = start(browser, prompt="none")
    tokens = json.loads(redeem(browser, page.callback()["code"], verifier).text)
    assert claims(tokens["id_token"])["amr"] == ["pwd", "otp"]
