"""One guard around every check of a secret a person types (issue 24 point 2): a password today, a passcode, a TOTP code
or a recovery code tomorrow, each checked with the same exactness and the same answer.

What it does around the verifier it is given, in this order:
- one round trip: the attempt reserved on its (account, address) counter and on its account counter (lockout.py: two
  conditional writes, so of any number of parallel attempts no more than the thresholds reach the verifier), side by
  side with the reads the verifier needs (for a password, the user);
- the verifier, told whether the attempt is locked: a locked attempt is never checked, but its verifier spends the work
  a check costs, so that neither the answer nor its time says the account is locked;
- a success: the audit line; the caller runs the counters' reset (Guarded.reset_writes) with its own writes;
- a failure: the wait until the failure floor (every failure answers no sooner, whatever kind of account or secret it
  was: docs/security.md), then one round trip that records it on the address's throttle window (ip_throttle.py) and
  on both counters, the audit line, and the one answer (invalid_grant, or with LockoutResponse=visible, the lock's);
- a dependency the verifier needed and could not reach (DependencyUnavailable): nothing was checked, so both
  reservations are given back, the audit line says so, and the 503 goes on.

The address's throttle window is checked before the guard, by whoever reads it with the client in the first round
trip (client_auth.py, the login page): reading it here would cost a round trip more.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.errors import DependencyUnavailable, OAuthError, invalid_credentials
from oidc_core.login import audit
from oidc_core.login import ip_throttle
from oidc_core.login import lockout
from oidc_core.login import upstream
from oidc_core.observability import count
from oidc_core.store.dynamo import get_items
from oidc_core.parameters import ParameterRequest


@dataclass(frozen=True)
class Passed:
    """A verifier's success: what the caller gets back, the subject for the audit line and the reason code."""

    value: object
    sub: str
    reason: str


@dataclass(frozen=True)
class Failed:
    """A verifier's failure: its reason code (never free text) and the subject the attempt named, if any."""

    reason: str
    sub: str | None = None


Verifier = Callable[[lockout.Attempt, dict], "Passed | Failed"]


@dataclass(frozen=True)
class Attempted:
    """Who is trying what, for the counters and the audit line."""

    request: ParameterRequest
    client_id: str
    account: str  # "sub:<sub>", or "identifier:<key>" when the identifier names nobody
    identifier_key: str | None
    subject: str | None = None  # the sub the audit line names when the verifier cannot (a dependency failed)


@dataclass(frozen=True)
class Guarded:
    """A success, and the attempt whose counts it resets."""

    value: object
    attempt: lockout.Attempt

    def reset_writes(self, settings: Settings) -> list:
        return lockout.reset_writes(settings, self.attempt)


def failure_floor_seconds(settings: Settings) -> float:
    """How long every failed check takes at least (issue 23 points 2 and 3). The work of a failure differs by kind of
    account: a native hash, an imported one up to the work ceiling, an upstream round trip up to its deadline for an
    identifier that names nobody here or a user waiting for the upstream. Rather than make every failure do the most
    expensive work (CPU that every failure would pay), each waits until the floor, which is above the most any of
    them may cost: the ceiling with room for the dummy Argon2id and the round trips, or while lazy migration is on,
    the upstream's deadline."""
    floor = settings.failed_login_floor_ms / 1000
    return max(floor, upstream.UPSTREAM_TIMEOUT_SECONDS) if settings.upstream_secret_id else floor


def guard(settings: Settings, attempted: Attempted, reads: dict, verify: Verifier) -> Guarded:
    """The verifier's success, or the one failure answer (see the module's doc). `reads` (name -> (table, key)) are
    read in the reservations' round trip and given to the verifier as found items."""
    started, now = time.monotonic(), time.time()
    pair_key, account_key = lockout.keys(attempted.account, attempted.request.source_ip)
    with aws.dependency("dynamodb"):
        pair, on_account, found = aws.in_parallel(
            lambda: lockout.reserve(settings, pair_key, settings.lockout.pair_threshold, now),
            lambda: lockout.reserve(settings, account_key, settings.lockout.user_threshold, now),
            lambda: get_items(reads),
        )
    attempt = lockout.Attempt(pair_key, account_key, pair, on_account)
    try:
        verdict = verify(attempt, found)
    except DependencyUnavailable as outage:
        with aws.dependency("dynamodb"):
            aws.in_parallel(*lockout.release_writes(settings, attempt, now))
        _audit(attempted, "failed", f"{outage.dependency}_unavailable", attempted.subject)
        raise
    if isinstance(verdict, Passed):
        _audit(attempted, "succeeded", verdict.reason, verdict.sub)
        return Guarded(verdict.value, attempt)
    _wait_for_the_floor(settings, started)
    answered = time.time()  # a lock this failure earns runs from its answer, not from before the floor's wait
    with aws.dependency("dynamodb"):
        aws.in_parallel(lambda: ip_throttle.record_failure(settings, attempted.request.source_ip, answered),
                        *lockout.failure_writes(settings, attempt, answered))
    _audit(attempted, "locked" if attempt.locked else "failed", verdict.reason, verdict.sub)
    raise _locked_answer(settings, attempt, answered) if attempt.locked else invalid_credentials()


def _audit(attempted: Attempted, outcome: str, reason: str, sub: str | None) -> None:
    audit.login_attempt(attempted.request, client_id=attempted.client_id, outcome=outcome, reason=reason, sub=sub,
                        identifier_key=attempted.identifier_key)


def _wait_for_the_floor(settings: Settings, started: float) -> None:
    left = failure_floor_seconds(settings) - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)
    else:  # this failure took longer than the floor, so its time may tell its kind of account: the floor is too low
        count("FailedLoginsOverFloor")


def _locked_answer(settings: Settings, attempt: lockout.Attempt, now: float) -> OAuthError:
    if not settings.lockout.visible:
        return invalid_credentials()  # by default a locked account answers exactly like a wrong password
    return OAuthError("invalid_grant", "too many failed attempts, retry later",
                      headers={"Retry-After": str(max(1, int(attempt.locked_until - now)))})
