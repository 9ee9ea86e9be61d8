"""Refreshing an Access Token (RFC 6749 §6), with refresh token rotation and reuse detection (RFC 9700 §4.14.2).

The client sends `refresh_token` and, optionally, a `scope` that may only narrow what the login granted. It must
authenticate as at the password grant, and the token must be its own. The user is checked on every refresh: a user
who was deleted or blocked, changed the password or was signed out since the login gets no new tokens, and the family
is revoked.

With rotation (the default) each refresh returns a new refresh token and the presented one is used up. Presenting a
used token again means two parties hold the family's tokens, one of them not the client: the whole family is revoked.
A client that lost the answer may retry with the same token once within the grace window; its new token then replaces
the one it never received, so the family still has exactly one live token. Without rotation (Authing's "same refresh
token until it expires", for confidential clients only), the presented token stays live.

A refresh token that is unknown, expired, revoked, used or another client's gets one answer: invalid_grant.
"""

from __future__ import annotations

import time

from oidc_core.keys import keyring
from oidc_core.store import refresh_tokens
from oidc_core.tokens import issuing
from oidc_core.store.clients import Client
from oidc_core.config import Settings
from oidc_core.errors import OAuthError, invalid_scope
from oidc_core.observability import count, logger
from oidc_core.store.refresh_tokens import Family, PresentedToken
from oidc_core.tokens.scopes import requested_scopes
from oidc_core.parameters import ParameterRequest
from oidc_core.store.users import User, user_key


def reads(request: ParameterRequest, settings: Settings) -> dict:
    """What to read with the client: the token's family and its user."""
    presented = refresh_tokens.parse(request.get("refresh_token"))
    if presented is None:
        return {}
    return {"family": (settings.tokens_table, refresh_tokens.family_key(presented.family_id)),
            "user": (settings.users_table, user_key(presented.sub))}


def _invalid(reason: str, client: Client) -> OAuthError:
    logger.info("refresh refused", extra={"reason": reason, "client_id": client.client_id})
    count("RefreshRefused")
    return OAuthError("invalid_grant", "the refresh token is invalid, expired or revoked")


def _narrowed_scopes(request: ParameterRequest, client: Client, family: Family) -> list[str]:
    """RFC 6749 §6: a requested scope must not include any scope the login did not grant, nor one the client has
    lost since."""
    if request.get("scope") is None:
        return [scope for scope in family.scopes if scope in client.allowed_scopes]
    scopes = requested_scopes(request.get("scope"), client.allowed_scopes)
    wider = [scope for scope in scopes if scope not in family.scopes]
    if wider:
        raise invalid_scope(f"scope exceeds what the refresh token was granted: {' '.join(wider)}")
    return scopes


def _in_grace(settings: Settings, family: Family, now: int) -> bool:
    """Within the grace window of the family's last rotation; a window of 0 seconds is no window at all (a clock a
    second behind the rotating container's would otherwise see a negative age as young enough)."""
    grace = settings.refresh_token_grace_seconds
    return grace > 0 and family.rotated_at is not None and now - family.rotated_at < grace


def _rotated_token(settings: Settings, client: Client, family: Family, presented: PresentedToken, now: int) -> str:
    if presented.matches(family.live_digest):
        token, family = refresh_tokens.rotate(settings, family, presented, now, grace_retry=False)
        if token:
            return token
        # A parallel refresh with the same token rotated first: decide again on the family as it now stands.
        if family is None or not family.usable(now):
            raise _invalid("revoked", client)
    # The window runs from the rotation to this moment, however long ago this request began.
    now = int(time.time())
    if presented.matches(family.previous_digest) and _in_grace(settings, family, now):
        token, _ = refresh_tokens.rotate(settings, family, presented, now, grace_retry=True)
        if token:
            return token
    # A used token came back: whoever holds the family's tokens, one of them is not the client.
    refresh_tokens.revoke(settings, family.family_id, "reuse", now)
    logger.warning("refresh token reuse: family revoked", extra={"client_id": client.client_id, "sub": family.sub})
    count("RefreshTokenReuse")
    raise _invalid("reuse", client)


def grant(request: ParameterRequest, client: Client, settings: Settings, found: dict) -> dict:
    presented = refresh_tokens.parse(request.require("refresh_token"))
    family = Family.from_record(found["family"]) if presented and found.get("family") else None
    now = int(time.time())
    # Another client's token is as unknown as a made-up one: the answer tells the caller nothing about it.
    if family is None or family.sub != presented.sub or family.client_id != client.client_id:
        raise _invalid("unknown", client)
    if not family.usable(now):
        raise _invalid("revoked" if family.revoked_at else "expired", client)
    if "offline_access" not in client.allowed_scopes:
        raise _invalid("offline_access_withdrawn", client)  # the client may no longer hold a refresh token at all
    scopes = _narrowed_scopes(request, client, family)
    user = User.from_record(found["user"]) if found.get("user") else None
    if family.outlived_by(user):
        refresh_tokens.revoke(settings, family.family_id, "session_ended", now)
        raise _invalid("session_ended", client)

    signing_key = keyring.current_signing_key(settings)
    # RFC 9700 §4.14.2: a public client's refresh tokens are rotated whatever RefreshTokenRotation says, since they
    # are bound to nothing else (no secret, no sender constraint) and only reuse detection notices a stolen one.
    if settings.refresh_token_rotation or client.is_public:
        refresh_token = _rotated_token(settings, client, family, presented, now)
    elif presented.matches(family.live_digest) and refresh_tokens.keep(settings, family, presented, now):
        refresh_token = request.require("refresh_token")
    else:
        raise _invalid("revoked", client)
    decided = issuing.Grant(client=client, scopes=scopes, user=user, auth_time=family.auth_time)
    response = issuing.issue(settings, signing_key, decided, refresh_token=refresh_token, now=now)
    count("RefreshSucceeded")
    return response
