"""The attempt guard (oidc_core/login/attempt_guard.py, issue 24 point 2) with a verifier other than the password's,
as a passcode or a TOTP code will use it: the same exactness under parallel attempts, the same answer, the same
floor, and a dependency outage that counts nothing. The password's own guarantees are the tests of
test_attack_protection.py, which check_password passes through this guard."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers import configure
from oidc_core import config
from oidc_core.errors import DependencyUnavailable, OAuthError
from oidc_core.login import attempt_guard, lockout
from oidc_core.parameters import ParameterRequest

INVALID_GRANT = {"error": "invalid_grant", "error_description": "invalid credentials provided"}


class CodeVerifier:
    """A six-digit code's check: counts the checks it really made (a locked attempt is not one)."""

    def __init__(self, right: str = "123456"):
        self.right, self.checked, self.lock = right, 0, threading.Lock()

    def __call__(self, code: str):
        def verify(attempt: lockout.Attempt, found: dict):
            if attempt.locked:
                return attempt_guard.Failed("locked", "user-1")
            with self.lock:
                self.checked += 1
            if code == self.right:
                return attempt_guard.Passed("the code's owner", "user-1", "passcode")
            return attempt_guard.Failed("wrong_passcode", "user-1")
        return verify


def _attempt(code: str, verifier: CodeVerifier, ip: str = "198.51.100.7"):
    attempted = attempt_guard.Attempted(ParameterRequest(parameters={}, source_ip=ip), "app", "sub:user-1",
                                        "username:alice", subject="user-1")
    return attempt_guard.guard(config.settings(), attempted, {}, verifier(code))


def test_parallel_wrong_codes_reach_the_verifier_at_most_the_pair_threshold_times(stack, monkeypatch):
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD=3, LOCKOUT_BASE_SECONDS=3600, LOCKOUT_MAX_SECONDS=7200)
    verifier = CodeVerifier()

    def wrong(_):
        with pytest.raises(OAuthError) as refused:
            _attempt("000000", verifier)
        return refused.value

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(wrong, range(12)))
    assert verifier.checked <= 3
    assert {(answer.status_code, repr(answer.body())) for answer in answers} == {(400, repr(INVALID_GRANT))}
    with pytest.raises(OAuthError):
        _attempt("123456", verifier)  # the right code, locked out: never checked
    assert verifier.checked <= 3


def test_a_right_code_passes_and_its_reset_clears_the_counts(stack):
    verifier = CodeVerifier()
    with pytest.raises(OAuthError):
        _attempt("000000", verifier)
    passed = _attempt("123456", verifier)
    assert passed.value == "the code's owner"
    for write in passed.reset_writes(config.settings()):
        write()
    for _ in range(4):  # the default pair threshold is 5: one left-over failure would lock at the fifth
        with pytest.raises(OAuthError):
            _attempt("000000", verifier)
    assert verifier.checked == 6


def test_a_failed_code_waits_for_the_floor(stack):
    started = time.monotonic()
    with pytest.raises(OAuthError):
        _attempt("000000", CodeVerifier())
    assert time.monotonic() - started >= attempt_guard.failure_floor_seconds(config.settings())


def test_a_dependency_outage_in_the_verifier_counts_nothing(stack, monkeypatch):
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD=1)

    def unreachable(attempt, found):
        raise DependencyUnavailable("sms")

    attempted = attempt_guard.Attempted(ParameterRequest(parameters={}, source_ip="198.51.100.7"), "app", "sub:user-1",
                                        None, subject="user-1")
    for _ in range(3):
        with pytest.raises(DependencyUnavailable):
            attempt_guard.guard(config.settings(), attempted, {}, unreachable)
    assert _attempt("123456", CodeVerifier()).value == "the code's owner"  # with a threshold of one, a count locks
