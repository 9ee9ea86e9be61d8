"""Checking a user's password: the one path every grant that takes a password goes through.

Every failure gets the same answer by the same work, so neither the answer nor its cost tells an unknown user from
a wrong password, a blocked user, a locked account or a password that could not be decrypted:
- the same round trips: with the identifier's item read already (with the client), one round trip reads the user (a
  key that cannot exist when the identifier named nobody) and reserves the attempt on the pair's and the account's
  counters, and one round trip after the check records the failure (or gives a reservation back);
- the same hash work: one Argon2id verification per candidate at the parameters stored hashes have. A missing user
  costs a dummy verification at those parameters; a locked attempt, which is never checked, a dummy verification at
  the parameters of the user's own hash; a stored hash above the cost ceiling is never computed and costs a dummy
  verification too; an undecryptable password is replaced by a random one and checked against the real hash;
- the same time: the kinds of account still cost differently (an imported hash its own algorithm, up to the work
  ceiling; an identifier that names nobody, while lazy migration is on, an upstream round trip), so every failure
  answers no sooner than one floor above the most any of them may cost (attempt_guard.failure_floor_seconds).
The reason is logged as a code, with a keyed hash of the identifier, never the identifier or the password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from oidc_core.login import attempt_guard
from oidc_core.login import lockout
from oidc_core.login import upstream
from oidc_core.passwords import hashing
from oidc_core.passwords import imported
from oidc_core.store import users
from oidc_core.store.clients import Client
from oidc_core.config import Settings
from oidc_core.store.identifiers import ACCOUNT, LoginIdentifier
from oidc_core.parameters import ParameterRequest

_NOBODY = users.NOBODY  # the sub read when an identifier names nobody: no user may have it


@dataclass(frozen=True)
class Login:
    """A user whose password checked out, and the attempt whose counts the login resets."""

    user: users.User
    attempt: lockout.Attempt
    password: str  # the candidate that matched

    def success_writes(self, settings: Settings) -> list:
        """A success resets both lockout counts and replaces a weaker or imported hash with Argon2id at the configured
        parameters (a conditional write: never over a password changed meanwhile): writes to run alongside the
        login's other writes, whichever way the user logged in."""
        return [*lockout.reset_writes(settings, self.attempt), lambda: self._upgrade_weaker_hash(settings)]

    def _upgrade_weaker_hash(self, settings: Settings) -> None:
        if hashing.needs_rehash(self.user.password_hash, settings.argon2):
            stronger = hashing.hash_password(self.password, settings.argon2)
            users.upgrade_password_hash(settings.users_table, self.user.sub, self.user.password_hash, stronger)


def check_password(request: ParameterRequest, client: Client, settings: Settings, identifier: LoginIdentifier,
                   pointer: dict | None, password: str | None | tuple[str | None, ...]) -> Login:
    """The user, if `password` (None: it could not be decrypted) is theirs; otherwise the same invalid_grant, no
    sooner than the failure floor. A tuple is several candidates (one per password key in force): each is checked,
    always all of them. The lockout, the throttle's count, the floor and the audit line are the attempt guard's."""
    sub = pointer["sub"] if pointer else None
    given = password if isinstance(password, tuple) else (password,)

    def verify(attempt: lockout.Attempt, found: dict) -> attempt_guard.Passed | attempt_guard.Failed:
        user = users.User.from_record(found["user"]) if found["user"] else None
        outcome = _check(request, settings, identifier, given, user, attempt)
        if isinstance(outcome, tuple):
            matched_user, matched, reason = outcome
            return attempt_guard.Passed((matched_user, matched), matched_user.sub, reason)
        return attempt_guard.Failed(outcome, user.sub if user else None)

    account = f"sub:{sub}" if sub else f"identifier:{identifier.key}"
    attempted = attempt_guard.Attempted(request, client.client_id, account, identifier.key, subject=sub)
    # The user is read in the reservations' round trip: a key that cannot exist when the identifier named nobody.
    reads = {"user": (settings.users_table, users.user_key(sub or _NOBODY))}
    guarded = attempt_guard.guard(settings, attempted, reads, verify)
    user, matched = guarded.value
    return Login(user, guarded.attempt, matched)


def _check(request: ParameterRequest, settings: Settings, identifier: LoginIdentifier, given: tuple[str | None, ...],
           user: users.User | None, attempt: lockout.Attempt) -> tuple[users.User, str, str] | str:
    """(the user, the candidate that matched, how) when a candidate is the user's password; otherwise the reason code
    of the failure."""
    candidates = [candidate if candidate is not None else secrets.token_urlsafe(32) for candidate in given]
    if attempt.locked:
        # Never checked, but it costs what a check costs: a faster answer would say the account is locked, and so
        # that two identifiers belong to one user.
        for candidate in candidates:
            hashing.spend_as_verifying(candidate, user.password_hash if user else None, settings, hashing.PASSWORD)
        return "locked"
    lazily = _ask_upstream(request, settings, identifier, given, user)
    if lazily is not None:
        migrated, matched = lazily
        if migrated is not None and not migrated.blocked:
            return migrated, matched, "upstream"
        if matched is None:  # nothing could be decrypted, so nothing was sent: the work of a local check instead
            for candidate in candidates:
                hashing.spend_as_verifying(candidate, None, settings, hashing.PASSWORD)
        return "upstream_refused" if matched is not None else "undecryptable_password"
    if user is None:
        for candidate in candidates:
            hashing.spend_as_verifying(candidate, None, settings, hashing.PASSWORD)
        return "unknown_user"
    # every candidate, without stopping at a match: the work must not say which key fitted; by the stored string's
    # scheme (an imported hash until its first login)
    matching = [candidate for candidate in candidates if imported.verify(candidate, user.password_hash, settings)]
    if matching and not user.blocked:
        return user, matching[0], "password"
    return ("blocked_user" if matching else
            "undecryptable_password" if all(candidate is None for candidate in given) else
            # above the cost ceiling, or unreadable: the user cannot log in until it is set again
            "unusable_password_hash" if not imported.usable(user.password_hash, settings) else
            "wrong_password")


def _ask_upstream(request: ParameterRequest, settings: Settings, identifier: LoginIdentifier, given: tuple[str | None, ...],
                  user: users.User | None) -> tuple[users.User | None, str | None] | None:
    """Lazy migration (login/upstream.py): an identifier that names nobody here, or a user imported without a
    password, is checked once against the upstream the users come from. None when no upstream is set or the user
    may not migrate; otherwise (the user the upstream vouched for, or None; the candidate sent, or None when none
    could be decrypted). An upstream outage raises: the guard gives the attempt's reservations back (nothing was
    checked)."""
    if not (user is None or (not user.password_hash and not user.blocked)):
        return None
    lazily = upstream.configured(settings)
    if lazily is None:
        return None
    migrated = matched = None
    value = request.get(identifier.kind) or request.get(ACCOUNT) or identifier.value
    for candidate in given:  # several only in a key overlap; a None never decrypted, so nothing to send
        if candidate is not None and migrated is None:
            migrated, matched = upstream.migrate(settings, lazily, identifier, value, candidate, user), candidate
    return migrated, matched
