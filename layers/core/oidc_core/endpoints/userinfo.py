"""/oidc/me (OIDC Core §5.3): the claims about the user that the access token's scopes allow, from the user's
current record.

The token may come as `Authorization: Bearer`, as the `access_token` query parameter (Authing's Node and Java SDKs)
or as a form field (RFC 6750 §2); two different ones at once are invalid_request. It must be an access token (`typ` at+jwt, so an
id_token is refused), signed by us, unexpired, for our issuer, not revoked, with the `openid` scope, and its user
must still exist and not be blocked. Anything else is 401 with a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3).
"""

from __future__ import annotations

from oidc_core.tokens import access_tokens
from oidc_core.tokens.access_tokens import InvalidToken
from oidc_core.tokens.claims import user_claims
from oidc_core.config import Settings
from oidc_core.store.dynamo import get_items
from oidc_core.errors import bearer_error
from oidc_core.observability import logger
from oidc_core.store.users import User, user_key

INVALID_TOKEN = "the access token is invalid, expired or revoked"


def bearer_token(authorization: str | None, query_token: str | None, form_token: str | None) -> str:
    """The one access token a request carries (RFC 6750 §2.1-2.3). Authing's Node SDK, once it holds a user's
    token, also sends it bare as `Authorization: <token>`: a value without a scheme is taken as that token. The
    same token sent two ways is one token; two different ones are invalid_request."""
    header_token = None
    if authorization and authorization.strip():
        scheme, space, value = authorization.strip().partition(" ")
        if not space:
            header_token = scheme  # no scheme: the bare token
        elif scheme.lower() == "bearer" and value.strip():
            header_token = value.strip()
        else:
            raise bearer_error("invalid_request", "the Authorization header must be Bearer <token>", 400)
    sent = {token for token in (header_token, query_token, form_token) if token is not None}
    if len(sent) > 1:
        raise bearer_error("invalid_request", "send one access token, one way", 400)
    if not sent or not next(iter(sent)):
        raise bearer_error(None, "an access token is required")
    return next(iter(sent))


def userinfo(token: str, settings: Settings) -> dict:
    try:
        claims = access_tokens.access_token_claims(token, settings)
    except InvalidToken as invalid:
        logger.info("userinfo refused", extra={"reason": invalid.reason})
        raise bearer_error("invalid_token", INVALID_TOKEN) from None
    scopes = claims.get("scope", "").split()
    if "openid" not in scopes:
        raise bearer_error("insufficient_scope", "the access token lacks the openid scope", 403)
    found = get_items({"revoked": (settings.tokens_table, access_tokens.revocation_key(claims["jti"])),
                       "user": (settings.users_table, user_key(claims["sub"]))})
    user = User.from_record(found["user"]) if found["user"] else None
    if found["revoked"] or user is None or user.blocked:
        logger.info("userinfo refused", extra={"reason": "revoked" if found["revoked"] else "user_unavailable"})
        raise bearer_error("invalid_token", INVALID_TOKEN)
    return {"sub": user.sub, **user_claims(user, scopes)}


