"""POST /oidc/token/revocation (RFC 7009).

The caller authenticates as a client and can revoke only its own tokens. Revoking a refresh token revokes its whole
family; revoking an access token puts its `jti` on the revocation list until it would have expired, so
introspection and userinfo refuse it from then on. Anything else (unknown, expired, another client's) is a success
that changes nothing, as §2.2 asks: the answer never tells a caller whether a token existed. `token_type_hint` (or
`hint`, as one of Authing's pages calls it) is not needed: the two kinds of token look nothing alike.
"""

from __future__ import annotations

import time

from oidc_core.store import refresh_tokens
from oidc_core.tokens import access_tokens
from oidc_core.tokens.access_tokens import InvalidToken
from oidc_core.login.client_auth import authenticate
from oidc_core.config import Settings
from oidc_core.errors import invalid_request
from oidc_core.observability import logger
from oidc_core.store.refresh_tokens import Family
from oidc_core.parameters import ParameterRequest


def revoke(request: ParameterRequest, settings: Settings) -> None:
    token = request.get("token")
    presented = refresh_tokens.parse(token)
    wanted = {"family": (settings.tokens_table, refresh_tokens.family_key(presented.family_id))} if presented else {}
    client, found = authenticate(request, settings, also_read=wanted)
    if token is None:
        raise invalid_request("missing parameter: token")
    if presented:
        family = Family.from_record(found["family"]) if found.get("family") else None
        # The token must be one the family handed out last (live, or the one before it), not just name the family.
        if (family and family.client_id == client.client_id and family.sub == presented.sub
                and (presented.matches(family.live_digest) or presented.matches(family.previous_digest))):
            refresh_tokens.revoke(settings, family.family_id, "revoked_by_client", int(time.time()))
            logger.info("refresh token family revoked", extra={"client_id": client.client_id})
        return
    try:
        claims = access_tokens.access_token_claims(token, settings)
    except InvalidToken:
        return  # an expired token needs no revocation, and a token we did not sign cannot be ours to revoke
    if claims["client_id"] == client.client_id:
        access_tokens.revoke(settings, claims)
        logger.info("access token revoked", extra={"client_id": client.client_id, "jti": claims["jti"]})
