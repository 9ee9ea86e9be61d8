"""Resource Owner Password Credentials Grant (RFC 6749 §4.3), as Authing's password mode extends it.

The client sends one login identifier (username, email or phone), the password (plain, or encrypted with
password_encrypt_type), and optionally a scope. Every credential failure gets the same answer in about the same
time: a missing user costs a dummy hash verification, and the reason is only ever logged as a code.
"""

from __future__ import annotations

import time

from oidc_core import keys, passwords, tokens, users
from oidc_core.clients import Client
from oidc_core.config import Settings
from oidc_core.errors import invalid_credentials, invalid_request
from oidc_core.identifiers import LOGIN_IDENTIFIER_KINDS, LoginIdentifier, normalise
from oidc_core.observability import count, logger
from oidc_core.scopes import requested_scopes
from oidc_core.token_request import TokenRequest

PASSWORD_ENCRYPT_TYPES = ("none",)


def login_identifier(request: TokenRequest, settings: Settings) -> LoginIdentifier:
    named = [kind for kind in LOGIN_IDENTIFIER_KINDS if request.get(kind)]
    if len(named) != 1:
        raise invalid_request("send exactly one of username, email, phone")
    return normalise(named[0], request.require(named[0]), settings.default_phone_country_code)


def submitted_password(request: TokenRequest) -> str:
    password = request.require("password")
    encrypt_type = request.get("password_encrypt_type") or "none"
    if encrypt_type not in PASSWORD_ENCRYPT_TYPES:
        raise invalid_request(f"unsupported password_encrypt_type, supported: {', '.join(PASSWORD_ENCRYPT_TYPES)}")
    return password


def _reject(client: Client, reason: str):
    logger.info("login failed", extra={"reason": reason, "client_id": client.client_id})
    count("LoginFailed")
    return invalid_credentials()


def _upgrade_weaker_hash(settings: Settings, user: users.User, password: str) -> None:
    if passwords.needs_rehash(user.password_hash, settings.argon2):
        stronger = passwords.hash_password(password, settings.argon2)
        users.upgrade_password_hash(settings.users_table, user.sub, user.password_hash, stronger)


def password_grant(request: TokenRequest, client: Client, settings: Settings) -> dict:
    scopes = requested_scopes(request.get("scope"), client.allowed_scopes)
    identifier = login_identifier(request, settings)
    password = submitted_password(request)
    signing_key = keys.current_signing_key(settings)  # before the hashing work, so an outage fails fast

    user = users.find_by_login(settings.users_table, identifier)
    if user is None:
        passwords.verify_against_dummy(password, settings.argon2)
        raise _reject(client, "unknown_user")
    if not passwords.verify_password(password, user.password_hash):
        raise _reject(client, "wrong_password")
    if user.blocked:
        raise _reject(client, "blocked_user")

    _upgrade_weaker_hash(settings, user, password)
    grant = tokens.Grant(client=client, scopes=scopes, user=user, auth_time=int(time.time()))
    response = tokens.issue(settings, signing_key, grant)
    logger.info("login succeeded", extra={"sub": user.sub, "client_id": client.client_id})
    count("LoginSucceeded")
    return response
