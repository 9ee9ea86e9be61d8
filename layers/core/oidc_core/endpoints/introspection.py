"""POST /oidc/token/introspection (RFC 7662), in Authing's shape.

The caller authenticates as a confidential client (a public one gets invalid_client) and learns about its own tokens
only: another client's token, like an expired, revoked, malformed or unknown one, is `{"active": false}`. Access
tokens are checked by signature, `exp`, `iss` and the revocation list; refresh tokens by their family. With
`strict=true` (Authing's Node SDK sends it) an access token of a user who was since deleted or blocked is inactive
too; a refresh token is always checked against its user.
"""

from __future__ import annotations

import time

from oidc_core.store import refresh_tokens
from oidc_core.tokens import access_tokens
from oidc_core.tokens.access_tokens import InvalidToken
from oidc_core.login.client_auth import authenticate
from oidc_core.config import Settings
from oidc_core.errors import invalid_request
from oidc_core.store.refresh_tokens import Family
from oidc_core.parameters import ParameterRequest
from oidc_core.store.users import User, user_key

INACTIVE = {"active": False}


def _access_token_state(claims: dict, client_id: str, found: dict, strict: bool, settings: Settings) -> dict:
    if claims["client_id"] != client_id or found.get("revoked"):
        return INACTIVE
    if strict and "user" in found:
        user = User.from_record(found["user"]) if found["user"] else None
        if user is None or user.blocked:
            return INACTIVE
    return {"active": True, "token_type": "Bearer",
            **{name: claims[name] for name in ("sub", "client_id", "exp", "iat", "iss", "jti", "scope", "aud")
               if name in claims}}


def _refresh_token_state(presented, client_id: str, found: dict, settings: Settings) -> dict:
    family = Family.from_record(found["family"]) if found.get("family") else None
    user = User.from_record(found["user"]) if found.get("user") else None
    now = int(time.time())
    if (family is None or family.client_id != client_id or family.sub != presented.sub
            or not presented.matches(family.live_digest) or not family.usable(now) or family.outlived_by(user)):
        return INACTIVE
    return {"active": True, "sub": family.sub, "client_id": family.client_id, "exp": family.expires_at,
            "iat": family.rotated_at or family.created_at, "iss": settings.issuer, "scope": " ".join(family.scopes)}


def introspect(request: ParameterRequest, settings: Settings) -> dict:
    token = request.get("token")
    strict = (request.get("strict") or "").lower() == "true"
    presented = refresh_tokens.parse(token)
    claims, wanted = None, {}
    if presented:
        wanted = {"family": (settings.tokens_table, refresh_tokens.family_key(presented.family_id)),
                  "user": (settings.users_table, user_key(presented.sub))}
    elif token:
        try:
            claims = access_tokens.access_token_claims(token, settings)
        except InvalidToken:
            pass
        else:
            wanted = {"revoked": (settings.tokens_table, access_tokens.revocation_key(claims["jti"]))}
            if strict and "azp" not in claims:  # a user's token (a client's own token has azp and no user)
                wanted["user"] = (settings.users_table, user_key(claims["sub"]))
    # RFC 7662 §2.1: the caller must be authorised to introspect, so a public client (its client_id is no secret)
    # may not: otherwise anyone who knows a SPA's client_id could test whether a stolen refresh token is still live.
    client, found = authenticate(request, settings, also_read=wanted, confidential_only=True)
    if token is None:
        raise invalid_request("missing parameter: token")
    if presented:
        return _refresh_token_state(presented, client.client_id, found, settings)
    if claims:
        return _access_token_state(claims, client.client_id, found, strict, settings)
    return INACTIVE
