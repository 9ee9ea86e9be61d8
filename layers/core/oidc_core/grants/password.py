"""Resource Owner Password Credentials Grant (RFC 6749 §4.3), as Authing's password mode extends it.

The client sends one login identifier (username, email or phone), the password (plain, or encrypted with
password_encrypt_type: rsa or sm2, to the keys published at /api/v3/system), and optionally a scope.

The password is checked by oidc_core.login.credentials, the one path for credentials: lockout, throttling and the same answer
and work for every failure (a password that cannot be decrypted is checked as a random one, so there is no padding
oracle either).
"""

from __future__ import annotations

import time

from oidc_core import aws
from oidc_core.keys import keyring
from oidc_core.login import credentials, lookup
from oidc_core.store import refresh_tokens
from oidc_core.store import users
from oidc_core.tokens import issuing
from oidc_core.store.clients import Client
from oidc_core.config import Settings
from oidc_core.errors import OAuthError, invalid_request
from oidc_core.store.identifiers import ACCOUNT, LOGIN_IDENTIFIER_KINDS, LoginIdentifier, account_candidates, normalise
from oidc_core.observability import logger
from oidc_core.passwords.decryption import DecryptionFailed
from oidc_core.tokens.scopes import requested_scopes
from oidc_core.parameters import ParameterRequest

PASSWORD_ENCRYPT_TYPES = ("none", "rsa", "sm2")


def login_identifiers(request: ParameterRequest, settings: Settings) -> list[LoginIdentifier]:
    """The identifier the request names; for `account` (Authing's sign-in), every identifier it may be."""
    named = [kind for kind in (*LOGIN_IDENTIFIER_KINDS, ACCOUNT) if request.get(kind)]
    if len(named) != 1:
        raise invalid_request("send exactly one of username, email, phone")
    value = request.require(named[0])
    if named[0] == ACCOUNT:
        return account_candidates(value, settings.default_phone_country_code)
    return [normalise(named[0], value, settings.default_phone_country_code)]


def reads(request: ParameterRequest, settings: Settings) -> dict:
    """What to read with the client: the items of the login identifiers (they name the user to read next)."""
    try:
        identifiers = login_identifiers(request, settings)
    except OAuthError:
        return {}  # the grant reports it, after client authentication
    return lookup.identifier_reads(identifiers, settings)


def _decrypt(encrypt_type: str, password: str, key: keyring.PasswordKey, settings: Settings) -> str | None:
    try:
        return key.decrypt_password(password, settings.sm2_cipher_mode)
    except DecryptionFailed as failure:
        logger.info("password decryption failed", extra={"reason": failure.reason, "encrypt_type": encrypt_type})
        return None


def submitted_password(request: ParameterRequest, settings: Settings) -> str | None | tuple[str | None, ...]:
    """The password in plain text, or None when an encrypted one cannot be decrypted (a credential failure).

    In the overlap window after a rotation of the password keys, a client may still encrypt to the previous public
    key. Then the ciphertext is decrypted with both keys, always, and both results are candidates that the login
    checks against the hash, always both: a PKCS#1 v1.5 decryption with the wrong key does not fail (implicit
    rejection gives pseudo-random bytes), so only the hash can tell which one is the password, and doing the same
    work whichever key fits (or none) keeps the second key from becoming a padding or timing oracle.
    """
    password = request.require("password")
    encrypt_type = request.get("password_encrypt_type") or "none"
    if encrypt_type not in PASSWORD_ENCRYPT_TYPES:
        raise invalid_request(f"unsupported password_encrypt_type, supported: {', '.join(PASSWORD_ENCRYPT_TYPES)}")
    if encrypt_type == "none":
        return password
    candidates = tuple(_decrypt(encrypt_type, password, key, settings)
                       for key in keyring.password_decryption_keys(settings, encrypt_type))
    return candidates[0] if len(candidates) == 1 else candidates


def refresh_token_for(settings: Settings, client: Client, user: users.User, scopes: list[str], now: int) -> str | None:
    """A refresh token starts a family, for offline_access and a client allowed to redeem it."""
    if "offline_access" not in scopes or "refresh_token" not in client.grant_types:
        return None
    return refresh_tokens.start_family(settings, sub=user.sub, client_id=client.client_id, scopes=scopes,
                                       auth_time=now, epochs=user.session_epochs(client.client_id), now=now)


def grant(request: ParameterRequest, client: Client, settings: Settings, found: dict) -> dict:
    scopes = requested_scopes(request.get("scope"), client.allowed_scopes)
    identifier, pointer = lookup.first_known(login_identifiers(request, settings), found)
    password = submitted_password(request, settings)
    signing_key = keyring.current_signing_key(settings)  # before the hashing work, so an outage fails fast
    checked = credentials.check_password(request, client, settings, identifier, pointer, password)
    user, now = checked.user, int(time.time())

    # The login's writes, in one round trip: a refresh token, the lockout counts reset, a weaker hash upgraded.
    with aws.dependency("dynamodb"):
        refresh_token, *_ = aws.in_parallel(
            lambda: refresh_token_for(settings, client, user, scopes, now),
            *checked.success_writes(settings),
        )
    decided = issuing.Grant(client=client, scopes=scopes, user=user, auth_time=now)
    return issuing.issue(settings, signing_key, decided, refresh_token=refresh_token, now=now)
