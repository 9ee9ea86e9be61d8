"""POST /api/v3/update-password `{newPassword, oldPassword, passwordEncryptType?}` with the user's access token in
`authorization` (bare, as Authing's SDKs send it, or `Bearer …`): a signed-in user changes their password.

`oldPassword` is required and checked through the one credential path (login.credentials.check_password), so a wrong
one counts toward the account's lockout like a wrong password at the login, and a locked account is refused alike.
The change ends the user's other sessions: the session epoch moves on, which ends every browser session and every
refresh-token family. The access token that made the call stays valid until it expires (it is a signed token, and
it carries no refresh family this call could tell apart, so that family ends too; docs/self-service.md says so).
"""

from __future__ import annotations

from oidc_core.config import Settings
from oidc_core.endpoints.authing import apps
from oidc_core.endpoints.authing.passwords import decrypted, new_password_hash
from oidc_core.endpoints.authing.request import V3Request, string_member
from oidc_core.endpoints.authing.reset_password import set_password_ending_sessions
from oidc_core.endpoints.userinfo import INVALID_TOKEN
from oidc_core.errors import bearer_error, invalid_request
from oidc_core.grants.password import submitted_password
from oidc_core.login import credentials
from oidc_core.observability import count, logger
from oidc_core.parameters import ParameterRequest
from oidc_core.store import users
from oidc_core.store.dynamo import get_items
from oidc_core.store.identifiers import normalise
from oidc_core.tokens import access_tokens
from oidc_core.tokens.access_tokens import InvalidToken


def signed_in_user(request: V3Request, settings: Settings) -> users.User:
    """The user whose live access token the call carries; a 401 invalid_token otherwise."""
    try:
        claims = access_tokens.access_token_claims(request.access_token(), settings)
    except InvalidToken as invalid:
        logger.info("update-password refused", extra={"reason": invalid.reason})
        raise bearer_error("invalid_token", INVALID_TOKEN) from None
    found = get_items({"revoked": (settings.tokens_table, access_tokens.revocation_key(claims["jti"])),
                       "user": (settings.users_table, users.user_key(claims["sub"]))})
    user = users.User.from_record(found["user"]) if found["user"] else None
    if found["revoked"] or user is None or user.blocked:
        raise bearer_error("invalid_token", INVALID_TOKEN)
    return user


def update_password(request: V3Request, settings: Settings) -> dict:
    app = apps.known_app(request, settings)
    user = signed_in_user(request, settings)
    document = request.document
    encrypt_type = string_member(document, "passwordEncryptType", "body")
    new_password = decrypted(request.sender, document.get("newPassword"), encrypt_type, settings)
    old = string_member(document, "oldPassword", "body")
    if not old:
        raise invalid_request("oldPassword is required")
    own = [user.username, user.email, user.phone_number]
    kind, value = next((kind, value) for kind, value in zip(("username", "email", "phone"), own, strict=True)
                       if value)
    attempt = ParameterRequest(parameters={"password": old, "password_encrypt_type": encrypt_type or "none"},
                               source_ip=request.sender.source_ip, user_agent=request.sender.user_agent)
    credentials.check_password(attempt, app, settings, normalise(kind, value, settings.default_phone_country_code),
                               {"sub": user.sub}, submitted_password(attempt, settings))
    password_hash = new_password_hash(new_password, own, settings)  # after the check: no free Argon2id for guessers
    set_password_ending_sessions(settings, user.sub, password_hash, request.sender.source_ip)
    logger.info("password changed", extra={"sub": user.sub, "client_id": app.client_id,
                                           "source_ip": request.sender.source_ip})
    count("PasswordChanges")
    return {}
