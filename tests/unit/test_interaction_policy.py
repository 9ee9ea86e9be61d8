"""The interaction policy (issue 24 point 1): steps walked in order, a step done in this interaction skipped, a step
whose checks pass done silently with its result, and the first failing check deciding the page or the prompt=none
error. A new step is one more entry in the list: the test adds one and nothing else changes."""

from __future__ import annotations

import time
from dataclasses import replace

from oidc_core.interaction.policy import CONSENT, LOGIN, STEPS, Check, Situation, Step, next_step
from oidc_core.interaction.request import AuthorizationRequest
from oidc_core.store.browser_sessions import BrowserSession
from oidc_core.store.clients import Client

NOW = int(time.time())
REQUEST = AuthorizationRequest(client_id="app", redirect_uri="https://app.example.test/cb", response_mode="query",
                               state=None, scopes=["openid", "email"], nonce=None, code_challenge="c" * 43)
CLIENT = Client(client_id="app", secret_hash="", allowed_scopes=frozenset({"openid", "email"}),
                grant_types=frozenset({"authorization_code"}), token_endpoint_auth_method="none",
                redirect_uris=("https://app.example.test/cb", "http://127.0.0.1/cb"))
SESSION = BrowserSession(sid="s" * 22, sub="alice", auth_time=NOW - 100, absolute_expires_at=NOW + 1000,
                         expires_at=NOW + 1000, last_seen=NOW, user_epoch=3, secret_digest="d", amr=("pwd", "otp"))


def situation(**changes) -> Situation:
    return replace(Situation(request=REQUEST, client=CLIENT, session=SESSION, consent=None, results={}, now=NOW),
                   **changes)


def test_a_live_session_passes_every_step_and_the_login_result_is_the_sessions():
    prompt, results = next_step(situation())
    assert prompt is None
    assert results["login"] == {"sub": "alice", "sid": "s" * 22, "auth_time": NOW - 100, "user_epoch": 3,
                                "amr": ["pwd", "otp"]}


def test_the_first_failing_check_decides_the_step_and_the_error():
    cases = [({"session": None}, "login", "no_session", "login_required"),
             ({"request": replace(REQUEST, prompt=["login"])}, "login", "prompt_login", "login_required"),
             ({"request": replace(REQUEST, max_age=0)}, "login", "max_age", "login_required"),
             ({"request": replace(REQUEST, hint_sub="bob")}, "login", "id_token_hint", "login_required"),
             ({"client": replace(CLIENT, third_party=True)}, "consent", "scopes_not_granted", "consent_required"),
             ({"request": replace(REQUEST, redirect_uri="http://127.0.0.1:5000/cb")}, "consent", "native_app",
              "interaction_required")]
    for changes, step, reason, error in cases:
        prompt, _ = next_step(situation(**changes))
        assert (prompt.step.name, prompt.check.reason, prompt.check.error) == (step, reason, error), changes


def test_a_step_done_in_this_interaction_is_not_asked_again():
    signed_in = {"login": {"sub": "alice", "sid": "n" * 22, "auth_time": NOW, "user_epoch": 3, "amr": ["pwd"]}}
    prompt, results = next_step(situation(session=None, request=replace(REQUEST, prompt=["login"]),
                                          results=signed_in))
    assert prompt is None and results["login"] == signed_in["login"]
    # A loopback app is confirmed by a login in this interaction, not by a session alone
    loopback = replace(REQUEST, redirect_uri="http://127.0.0.1:5000/cb")
    assert next_step(situation(request=loopback, results=signed_in))[0] is None
    remembered = {"scope": "openid email"}
    assert next_step(situation(client=replace(CLIENT, third_party=True), consent=remembered))[0] is None


def test_a_new_step_is_one_more_entry_in_the_list():
    factor = Step(name="factor", checks=(Check("no_second_factor", "the user must confirm a code",
                                               "interaction_required", lambda s: "otp" not in s.session.amr),),
                  page=lambda *arguments: "<p>code</p>", passed=lambda s: {"otp": True}, shown_at="factor")
    steps = (LOGIN, factor, CONSENT)
    prompt, results = next_step(situation(session=replace(SESSION, amr=("pwd",))), steps)
    assert prompt.step is factor and set(results) == {"login"}
    prompt, results = next_step(situation(), steps)
    assert prompt is None and results["factor"] == {"otp": True}
    assert STEPS == (LOGIN, CONSENT)
