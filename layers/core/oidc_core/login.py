"""Checking a user's password: the one path every grant that takes a password goes through.

Every failure gets the same answer by the same work, so neither the answer nor its cost tells an unknown user from
a wrong password, a blocked user, a locked account or a password that could not be decrypted:
- the same round trips: with the identifier's item read already, one round trip reads the user (a key that
  cannot exist when the identifier named nobody) and reserves an attempt on both lockout counters at once, and one
  round trip after the check records the failure;
- the same hash work: a missing user costs a dummy Argon2id verification at the parameters stored hashes have; an
  undecryptable password is replaced by a random one and checked against the real hash. Only a locked attempt skips
  the hash, which is why accounts that do not exist lock too.
The reason is logged as a code, with a keyed hash of the identifier, never the identifier or the password.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from oidc_core import audit, aws, ip_throttle, lockout, passwords, users
from oidc_core.clients import Client
from oidc_core.config import Settings
from oidc_core.errors import OAuthError, invalid_credentials
from oidc_core.identifiers import LoginIdentifier
from oidc_core.token_request import TokenRequest

_NOBODY = "-"  # the sub read when an identifier names nobody: no user has it (subs are UUIDs)


@dataclass(frozen=True)
class Login:
    """A user whose password checked out, and the attempt to release once the login is complete."""

    user: users.User
    counters: tuple[lockout.Counter, lockout.Counter]

    def release(self, settings: Settings) -> None:
        """A success resets both lockout counts (run it alongside the login's other writes)."""
        aws.in_parallel(*(lambda counter=counter: lockout.reset(settings, counter) for counter in self.counters))


def _locked_answer(settings: Settings, reservations: list[lockout.Reservation], now: float) -> OAuthError:
    if not settings.lockout.visible:
        return invalid_credentials()  # by default a locked account answers exactly like a wrong password
    opens = max(reservation.locked_until for reservation in reservations if reservation.attempts is None)
    return OAuthError("invalid_grant", "too many failed attempts, retry later",
                      headers={"Retry-After": str(max(1, int(opens - now)))})


def check_password(request: TokenRequest, client: Client, settings: Settings, identifier: LoginIdentifier,
                   pointer: dict | None, password: str | None) -> Login:
    """The user, if `password` (None: it could not be decrypted) is theirs; otherwise the same invalid_grant."""
    sub = pointer["sub"] if pointer else None
    account = f"sub:{sub}" if sub else f"identifier:{identifier.key}"
    counters = lockout.counters(settings, account, request.source_ip)
    now = time.time()
    with aws.dependency("dynamodb"):
        user, *reservations = aws.in_parallel(
            lambda: users.find_by_sub(settings.users_table, sub or _NOBODY),
            *(lambda counter=counter: lockout.reserve(settings, counter, now) for counter in counters),
        )

    if any(reservation.attempts is None for reservation in reservations):
        reason = "locked"
    else:
        candidate = password if password is not None else secrets.token_urlsafe(32)
        if user is None:
            passwords.verify_against_dummy(candidate, passwords.dummy_parameters(settings.argon2))
            reason = "unknown_user"
        elif not passwords.verify_password(candidate, user.password_hash):
            reason = "wrong_password" if password is not None else "undecryptable_password"
        elif user.blocked:
            reason = "blocked_user"
        else:
            passwords.note_stored_hash(user.password_hash)
            audit.login_attempt(request, client_id=client.client_id, outcome="succeeded", reason="password",
                                sub=user.sub, identifier_key=identifier.key)
            return Login(user, counters)
        if user is not None:
            passwords.note_stored_hash(user.password_hash)

    with aws.dependency("dynamodb"):
        aws.in_parallel(
            lambda: ip_throttle.record_failure(settings, request.source_ip, now),
            *(lambda counter=counter, attempts=reservation.attempts:
              attempts and lockout.record_failure(settings, counter, attempts, now)
              for counter, reservation in zip(counters, reservations)),
        )
    audit.login_attempt(request, client_id=client.client_id, outcome="locked" if reason == "locked" else "failed",
                        reason=reason, sub=user.sub if user else None, identifier_key=identifier.key)
    raise _locked_answer(settings, reservations, now) if reason == "locked" else invalid_credentials()
