"""POST /api/v3/signin with `connection: PASSCODE` (signInByEmailPassCode, signInByPhonePassCode): a CHANNEL_LOGIN
code instead of the password, the same client authentication, the same tokens, the same answer for every failure.

A wrong, used or dead code answers exactly as a wrong password does (invalid_grant "invalid credentials provided"),
and counts toward the account's lockout as one: the attempt is reserved on the account's counters (login.lockout)
before the code is tried, so a locked account gets no tries, and a failure sets the lock as a wrong password does.
This is the scaffolding of login.credentials.check_password around a code instead of a hash; it is kept small here
until the credential path takes a code as one more kind of secret.
"""

from __future__ import annotations

import time

from oidc_core import aws
from oidc_core.codes import passcodes
from oidc_core.codes.channels import CHANNEL_LOGIN
from oidc_core.endpoints.authing.code_key import digest_key
from oidc_core.config import Settings
from oidc_core.endpoints.authing.addresses import passcode_address
from oidc_core.errors import OAuthError, invalid_credentials
from oidc_core.grants.password import refresh_token_for
from oidc_core.keys import keyring
from oidc_core.login import audit, ip_throttle, lockout, lookup
from oidc_core.login.client_auth import authenticate
from oidc_core.parameters import ParameterRequest
from oidc_core.store import users
from oidc_core.store.dynamo import get_items
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
    """The user, if `code` is the live CHANNEL_LOGIN code of the address; otherwise the wrong password's answer."""
    sub = pointer["sub"] if pointer else None
    now = time.time()
    pair_key, account_key = lockout.keys(f"sub:{sub}" if sub else f"identifier:{identifier.key}", caller.source_ip)
    with aws.dependency("dynamodb"):
        pair, on_account, found = aws.in_parallel(
            lambda: lockout.reserve(settings, pair_key, settings.lockout.pair_threshold, now),
            lambda: lockout.reserve(settings, account_key, settings.lockout.user_threshold, now),
            lambda: get_items({"user": (settings.users_table, users.user_key(sub or users.NOBODY))}))
    user = users.User.from_record(found["user"]) if found["user"] else None
    attempt = lockout.Attempt(pair_key, account_key, pair, on_account)
    reason = "locked"
    if not attempt.locked:  # a locked account's code is not tried: no try spent, nothing learnt
        verdict = passcodes.check_code(settings, channel=CHANNEL_LOGIN, address=identifier.value, code=code,
                                       digest_key=digest_key(), now=int(now))
        if verdict is Verdict.ACCEPTED and user is not None and not user.blocked:
            audit.login_attempt(caller, client_id=client_id, outcome="succeeded", reason="passcode", sub=user.sub,
                                identifier_key=identifier.key)
            return user, attempt
        reason = ("unknown_user" if user is None else "blocked_user" if verdict is Verdict.ACCEPTED else
                  f"{verdict.value}_code")
    with aws.dependency("dynamodb"):
        aws.in_parallel(lambda: ip_throttle.record_failure(settings, caller.source_ip, now),
                        *lockout.failure_writes(settings, attempt, now))
    audit.login_attempt(caller, client_id=client_id, outcome="locked" if attempt.locked else "failed",
                        reason=reason, sub=user.sub if user else None, identifier_key=identifier.key)
    raise _refusal(settings, attempt, now)


def _refusal(settings: Settings, attempt: lockout.Attempt, now: float) -> OAuthError:
    """As the password's refusal: a lock is told apart only where the stack chose to (LockoutResponse visible)."""
    if attempt.locked and settings.lockout.visible:
        return OAuthError("invalid_grant", "too many failed attempts, retry later",
                          headers={"Retry-After": str(max(1, int(attempt.locked_until - now)))})
    return invalid_credentials()
