"""POST /api/v3/signin with `connection: PASSCODE` (signInByEmailPassCode, signInByPhonePassCode): a CHANNEL_LOGIN
code instead of the password, the same client authentication, the same tokens, the same answer for every failure.

A wrong, used or dead code answers exactly as a wrong password does (invalid_grant "invalid credentials provided"),
and counts toward the account's lockout as one: the attempt is reserved on the account's counters (login.lockout)
before the code is tried, so a locked account gets no tries, and a failure sets the lock as a wrong password does.
The lockout, the failure floor, the throttle's count and the audit line are the attempt guard's (login.attempt_guard),
as for a password: only the verifier differs.
"""

from __future__ import annotations

import time

from oidc_core import aws
from oidc_core.codes import passcodes
from oidc_core.codes.channels import CHANNEL_LOGIN
from oidc_core.endpoints.authing.code_key import digest_key
from oidc_core.config import Settings
from oidc_core.endpoints.authing.addresses import passcode_address
from oidc_core.errors import OAuthError
from oidc_core.grants.password import refresh_token_for
from oidc_core.keys import keyring
from oidc_core.login import attempt_guard, lockout, lookup
from oidc_core.login.client_auth import authenticate
from oidc_core.parameters import ParameterRequest
from oidc_core.store import users
from oidc_core.store.identifiers import LoginIdentifier
from oidc_core.store.passcodes import Verdict
from oidc_core.tokens import issuing
from oidc_core.tokens.scopes import requested_scopes


def passcode_tokens(caller: ParameterRequest, payload: dict, settings: Settings) -> dict:
    """The password grant's answer, for a sign-in by code. `caller` holds the client and the scope."""
    _, identifier = passcode_address(payload, "passCodePayload", settings)
    client, found = authenticate(caller, settings, also_read=lookup.identifier_reads([identifier], settings))
    if "password" not in client.grant_types:
        raise OAuthError("unauthorized_client", "this client may not sign users in with a password or a code")
    scopes = requested_scopes(caller.get("scope"), client.allowed_scopes)
    _, pointer = lookup.first_known([identifier], found)
    signing_key = keyring.current_signing_key(settings)  # before the attempt counts, so an outage fails fast
    user, attempt = check_passcode(caller, client.client_id, settings, identifier, pointer, payload.get("passCode"))
    now = int(time.time())
    with aws.dependency("dynamodb"):
        refresh_token, *_ = aws.in_parallel(lambda: refresh_token_for(settings, client, user, scopes, now),
                                            *lockout.reset_writes(settings, attempt))
    decided = issuing.Grant(client=client, scopes=scopes, user=user, auth_time=now)
    return issuing.issue(settings, signing_key, decided, refresh_token=refresh_token, now=now)


def check_passcode(caller: ParameterRequest, client_id: str, settings: Settings, identifier: LoginIdentifier,
                   pointer: dict | None, code: object) -> tuple[users.User, lockout.Attempt]:
    """The user, if `code` is the live CHANNEL_LOGIN code of the address; otherwise the wrong password's answer, by
    the attempt guard that checks passwords (the same lockout, floor, throttle count and audit line)."""
    sub = pointer["sub"] if pointer else None

    def verify(attempt: lockout.Attempt, found: dict) -> attempt_guard.Passed | attempt_guard.Failed:
        user = users.User.from_record(found["user"]) if found["user"] else None
        if attempt.locked:  # a locked account's code is not tried: no try spent, nothing learnt
            return attempt_guard.Failed("locked", user.sub if user else None)
        verdict = passcodes.check_code(settings, channel=CHANNEL_LOGIN, address=identifier.value, code=code,
                                       digest_key=digest_key(), now=int(time.time()))
        if verdict is Verdict.ACCEPTED and user is not None and not user.blocked:
            return attempt_guard.Passed(user, user.sub, "passcode")
        reason = ("unknown_user" if user is None else "blocked_user" if verdict is Verdict.ACCEPTED else
                  f"{verdict.value}_code")
        return attempt_guard.Failed(reason, user.sub if user else None)

    account = f"sub:{sub}" if sub else f"identifier:{identifier.key}"
    attempted = attempt_guard.Attempted(caller, client_id, account, identifier.key, subject=sub)
    reads = {"user": (settings.users_table, users.user_key(sub or users.NOBODY))}
    guarded = attempt_guard.guard(settings, attempted, reads, verify)
    return guarded.value, guarded.attempt
