"""The interaction policy: what a browser's authorization request still needs before it gets a code, as an ordered
list of steps (login, then consent), each a list of named checks. Modelled on node-oidc-provider's interaction
policy (lib/helpers/interaction_policy: prompts made of checks).

`next_step` walks the steps in order. A step already done in this interaction (its result is stored) is skipped; a
step whose checks all pass is done silently (the login, by a live session) and gives its result; the first check
that fails decides: the page of its step, or, under prompt=none, its error. So every page and the endpoint agree
on what comes next, and a new step (a factor challenge, a factor enrolment) is one more entry in STEPS with its
checks, its page and the handler of its form; no other page changes.

A check's `fails` reads the Situation only: the request, the client, this browser's live session (None without
one), the consent remembered for a third-party client, and the results of the steps done in this interaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from oidc_core.interaction.request import AuthorizationRequest
from oidc_core.interaction.response import SignedIn
from oidc_core.pages import render
from oidc_core.store import consents
from oidc_core.store.browser_sessions import BrowserSession
from oidc_core.store.clients import Client


@dataclass(frozen=True)
class Situation:
    request: AuthorizationRequest
    client: Client
    session: BrowserSession | None  # this browser's, live; None without one
    consent: dict | None  # the consent remembered for this user and a third-party client
    results: dict  # the steps done in this interaction, by name: {"login": {sub, sid, auth_time, user_epoch, amr}}
    now: int


@dataclass(frozen=True)
class Check:
    reason: str  # logged, and stored with the interaction: which check asked for the page
    description: str  # the error_description under prompt=none
    error: str  # the error under prompt=none
    fails: Callable[[Situation], bool]


@dataclass(frozen=True)
class Step:
    name: str
    checks: tuple[Check, ...]
    page: Callable[..., str]  # (request, client, interaction_id, csrf_token, reason) → the step's HTML
    passed: Callable[[Situation], dict]  # the step's result when it needs no page
    shown_at: str | None = None  # the GET that shows the page again (post-redirect-get after another step's POST)


@dataclass(frozen=True)
class Prompt:
    """The step a request still needs, and the check that said so."""

    step: Step
    check: Check


def _too_old(situation: Situation) -> bool:
    max_age = situation.request.max_age
    # OIDC Core §3.1.2.1: max_age=0 means a login now, whatever the session's age (and however fast the clock)
    return max_age is not None and (max_age == 0 or situation.now - situation.session.auth_time > max_age)


def _login_page(request: AuthorizationRequest, client: Client, interaction_id: str, csrf_token: str,
                reason: str) -> str:
    return render.login_page(request.locale, client_name=client.display_name, client_id=client.client_id,
                             interaction_id=interaction_id, csrf_token=csrf_token, login_hint=request.login_hint)


def _from_the_session(situation: Situation) -> dict:
    session = situation.session
    return asdict(SignedIn(sub=session.sub, sid=session.sid, auth_time=session.auth_time,
                           user_epoch=session.user_epoch, amr=list(session.amr)))


LOGIN = Step(
    name="login",
    checks=(
        Check("no_session", "the user must sign in", "login_required",
              lambda situation: situation.session is None),
        Check("prompt_login", "the user must sign in", "login_required",
              lambda situation: bool({"login", "select_account"} & set(situation.request.prompt))),
        Check("max_age", "the user must sign in", "login_required", _too_old),
        Check("id_token_hint", "the user must sign in", "login_required",
              lambda situation: situation.request.hint_sub not in (None, situation.session.sub)),
    ),
    page=_login_page,
    passed=_from_the_session,
)


def _scopes_not_granted(situation: Situation) -> bool:
    if not situation.client.third_party:
        return False  # the operator's own apps: the user signs in to them, nothing to agree to
    granted = consents.granted_scopes(situation.consent)
    return "consent" in situation.request.prompt or not set(situation.request.scopes) <= granted


def _native_app_unconfirmed(situation: Situation) -> bool:
    """RFC 8252 §8.6: a public client at a loopback redirect URI cannot be told from any local process that claims
    its client_id, so a live session alone must not hand it a code; a login in this interaction is the user's act."""
    return (situation.client.is_public and situation.request.at_a_loopback_address
            and "login" not in situation.results)


def _consent_page(request: AuthorizationRequest, client: Client, interaction_id: str, csrf_token: str,
                  reason: str) -> str:
    """The scopes in words for a third party; only "continue?" for a loopback app whose scopes need no consent."""
    render_page = render.confirm_page if reason == "native_app" else render.consent_page
    return render_page(request.locale, client_name=client.display_name, interaction_id=interaction_id,
                       csrf_token=csrf_token, scopes=request.scopes, client_id=client.client_id)


CONSENT = Step(
    name="consent",
    checks=(
        Check("scopes_not_granted", "the user must consent", "consent_required",
              _scopes_not_granted),
        Check("native_app", "the user must confirm this app", "interaction_required", _native_app_unconfirmed),
    ),
    page=_consent_page,
    passed=lambda situation: {},
    shown_at="consent",
)

STEPS: tuple[Step, ...] = (LOGIN, CONSENT)
BY_NAME = {step.name: step for step in STEPS}


def next_step(situation: Situation, steps: tuple[Step, ...] = STEPS) -> tuple[Prompt | None, dict]:
    """The first step the request still needs (None: a code may be issued), and the results of the steps before it,
    those done in this interaction and those done silently."""
    results = dict(situation.results)
    for step in steps:
        if step.name in results:
            continue
        failing = next((check for check in step.checks if check.fails(situation)), None)
        if failing is not None:
            return Prompt(step, failing), results
        results[step.name] = step.passed(situation)
    return None, results
