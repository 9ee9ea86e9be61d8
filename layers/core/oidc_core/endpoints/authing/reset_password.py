"""A forgotten password, in Authing's two calls (verifyResetPasswordRequest, then resetPassword):

POST /api/v3/verify-reset-password-request
    {"verifyMethod": "EMAIL_PASSCODE", "emailPassCodePayload": {"email", "passCode"}} or
    {"verifyMethod": "PHONE_PASSCODE", "phonePassCodePayload": {"phoneNumber", "phoneCountryCode"?, "passCode"}}
    checks a CHANNEL_RESET_PASSWORD code and answers `{passwordResetToken, tokenExpiresIn}`: a single-use token that
    lives 10 minutes, stored as a digest (store.reset_tokens).
POST /api/v3/reset-password {"password", "passwordResetToken", "passwordEncryptType"?}
    sets the password (the policy, Argon2id), which ends every browser session and refresh-token family of the user
    (the user's session epoch moves on, as `oidc-admin user sign-out` does), and clears the account's lockout.

A wrong, used or dead code answers as a code for an address nobody uses does: a reset code is only ever sent to an
address with an account, so the answer proves nothing the code does not.
"""

from __future__ import annotations

import time

from oidc_core import aws
from oidc_core.codes import passcodes
from oidc_core.codes.channels import CHANNEL_RESET_PASSWORD
from oidc_core.endpoints.authing.code_key import digest_key
from oidc_core.config import Settings
from oidc_core.endpoints.authing import apps
from oidc_core.endpoints.authing.addresses import email_address, phone_number
from oidc_core.endpoints.authing.passwords import decrypted, new_password_hash
from oidc_core.endpoints.authing.request import V3Request, object_member, string_member
from oidc_core.endpoints.authing.signup import wrong_code
from oidc_core.errors import OAuthError, invalid_request
from oidc_core.login import audit, lockout
from oidc_core.observability import count, logger
from oidc_core.store import reset_tokens, users
from oidc_core.store.passcodes import Verdict


def verify_reset_request(request: V3Request, settings: Settings) -> dict:
    app = apps.known_app(request, settings)
    document, method = request.document, request.document.get("verifyMethod")
    if method == "EMAIL_PASSCODE":
        payload = object_member(document, "emailPassCodePayload", required=True)
        identifier = email_address(payload, "email", "emailPassCodePayload")
    elif method == "PHONE_PASSCODE":
        payload = object_member(document, "phonePassCodePayload", required=True)
        identifier = phone_number(payload, "phoneNumber", "phonePassCodePayload", settings)
    else:
        raise invalid_request("verifyMethod must be EMAIL_PASSCODE or PHONE_PASSCODE")
    now = int(time.time())
    verdict = passcodes.check_code(settings, channel=CHANNEL_RESET_PASSWORD, address=identifier.value,
                                   code=payload.get("passCode"), digest_key=digest_key(), now=now)
    user = users.find_by_login(settings.users_table, identifier) if verdict is Verdict.ACCEPTED else None
    if user is None or user.blocked:
        logger.info("reset refused", extra={"reason": verdict.value if user is None else "blocked_user",
                                            "client_id": app.client_id, "source_ip": request.sender.source_ip,
                                            "identifier_hash": audit.identifier_hash(identifier.key)})
        raise wrong_code()
    token = reset_tokens.issue(settings, sub=user.sub, now=now)
    return {"passwordResetToken": token, "tokenExpiresIn": reset_tokens.TTL_SECONDS}


def reset_password(request: V3Request, settings: Settings) -> dict:
    app = apps.known_app(request, settings)
    document = request.document
    password = decrypted(request.sender, document.get("password"),
                         string_member(document, "passwordEncryptType", "body"), settings)
    token, now = document.get("passwordResetToken"), int(time.time())
    sub = reset_tokens.holder(settings, token, now)
    user = users.find_by_sub(settings.users_table, sub) if sub else None
    if user is None:
        raise OAuthError("invalid_grant", "the password reset token is invalid, used or expired")
    password_hash = new_password_hash(password, [user.username, user.email, user.phone_number], settings)
    if not reset_tokens.redeem(settings, token, sub=sub, now=now):
        raise OAuthError("invalid_grant", "the password reset token is invalid, used or expired")
    set_password_ending_sessions(settings, user.sub, password_hash, request.sender.source_ip)
    logger.info("password reset", extra={"sub": user.sub, "client_id": app.client_id,
                                         "source_ip": request.sender.source_ip})
    count("PasswordResets")
    return {"success": True}


def set_password_ending_sessions(settings: Settings, sub: str, password_hash: str, source_ip: str) -> None:
    """The new hash, with the user's session epoch moved on (every browser session and refresh family ends), and the
    account's lockout cleared: its own counter and this address's. Counters of other addresses stay: they lock only
    those addresses out of this account, and those are where the guessing came from."""
    pair_key, account_key = lockout.keys(f"sub:{sub}", source_ip)
    with aws.dependency("dynamodb"):
        if not users.set_password_hash(settings.users_table, sub, password_hash):
            raise OAuthError("invalid_grant", "the password reset token is invalid, used or expired")
        aws.in_parallel(*(lambda key=key: aws.client("dynamodb").delete_item(
            TableName=settings.tokens_table, Key={"pk": {"S": key}}) for key in (pair_key, account_key)))
