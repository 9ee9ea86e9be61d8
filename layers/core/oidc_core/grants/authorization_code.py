"""Authorization Code Grant at the token endpoint (RFC 6749 §4.1.3), with PKCE (RFC 7636 §4.6).

The client sends the `code` /oidc/auth gave it, the `redirect_uri` of that request, and the `code_verifier` whose
S256 challenge the request carried; it authenticates as at the other grants (a public client sends its client_id
alone: for it the verifier is what proves the code is its own). The code must be this client's, unexpired and
never redeemed, the redirect URI the same, and the verifier must hash to the challenge. A verifier for a code issued
without a challenge is refused too (RFC 9700 §4.8.2: otherwise an attacker could strip the challenge).

A code is redeemed once. Redeeming it again is invalid_grant and revokes what the first redemption issued: its
refresh token family and its access token (RFC 6749 §4.1.2), but only when the replay passes the client, redirect
URI and verifier checks. Otherwise anyone who saw a redeemed code (history, a log, a Referer) could end the real
user's tokens with one request; without the verifier it is just invalid_grant. The user is read again: one who was
blocked, changed the password or was signed out since the login gets nothing.

The error_description says why a code was refused (redirect URI, PKCE, expired, unknown or used), as Keycloak does:
it tells the code's holder nothing it could not know, and saves its developer a search of our logs. Another client's
code is as unknown as a made-up one, so nothing is said about someone else's code. The log keeps the finer reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import uuid

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.errors import OAuthError, invalid_request
from oidc_core.keys import keyring
from oidc_core.observability import count, logger
from oidc_core.store import authorization_codes, refresh_tokens
from oidc_core.store.authorization_codes import AuthorizationCode
from oidc_core.store.clients import Client
from oidc_core.store.dynamo import get_items
from oidc_core.store.users import User, user_key
from oidc_core.parameters import ParameterRequest
from oidc_core.tokens import access_tokens, issuing

# RFC 7636 §4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # fullmatch: `$` would let a trailing newline through


def reads(request: ParameterRequest, settings: Settings) -> dict:
    """What to read with the client: the code's item."""
    code = request.get("code")
    if not authorization_codes.looks_like_a_code(code):
        return {}
    return {"code": (settings.tokens_table, authorization_codes.code_key(code))}


# What the client hears, by the log's reason: each names what to fix, none tells one stranger's code from another
REFUSALS = {
    "unknown": "the authorization code is unknown or was already used",
    "reused": "the authorization code is unknown or was already used",
    "expired": "the authorization code has expired",
    "redirect_uri": "redirect_uri does not match the authorization request",
    "code_verifier": "PKCE verification failed: code_verifier does not match code_challenge",
    "verifier_without_challenge": "PKCE verification failed: the authorization request had no code_challenge",
    "session_ended": "the sign-in this code was issued for has ended",
}


def _invalid(reason: str, client: Client) -> OAuthError:
    logger.info("authorization code refused", extra={"reason": reason, "client_id": client.client_id})
    count("AuthorizationCodeRefused")
    return OAuthError("invalid_grant", REFUSALS[reason])


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _revoke_what_it_issued(settings: Settings, code: AuthorizationCode, now: int) -> None:
    writes = []
    if code.family_id:
        writes.append(lambda: refresh_tokens.revoke_before_it_starts(
            settings, code.family_id, "code_reuse", now, keep_until=now + settings.refresh_token_ttl))
    if code.access_jti:
        writes.append(lambda: access_tokens.revoke(settings, {"jti": code.access_jti, "client_id": code.client_id,
                                                              "exp": code.access_expires_at or now}))
    with aws.dependency("dynamodb"):
        aws.in_parallel(*writes)
    logger.warning("authorization code reused: what it issued is revoked", extra={"client_id": code.client_id})
    count("AuthorizationCodeReuse")


def _check_binding(request: ParameterRequest, code: AuthorizationCode, client: Client) -> None:
    """RFC 6749 §4.1.3 (redirect_uri) and RFC 7636 §4.6 (code_verifier)."""
    if code.redirect_uri is not None and request.get("redirect_uri") != code.redirect_uri:
        raise _invalid("redirect_uri", client)
    verifier = request.get("code_verifier")
    if code.code_challenge is None:
        if verifier is not None:
            raise _invalid("verifier_without_challenge", client)
        return
    if verifier is None or not hmac.compare_digest(s256(verifier), code.code_challenge):
        raise _invalid("code_verifier", client)


def grant(request: ParameterRequest, client: Client, settings: Settings, found: dict) -> dict:
    request.require("code")
    verifier = request.get("code_verifier")
    if verifier is not None and not _VERIFIER.fullmatch(verifier):
        raise invalid_request("code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)")
    code = AuthorizationCode.from_record(found["code"]) if found.get("code") else None
    now = int(time.time())
    # Another client's code is as unknown as a made-up one.
    if code is None or code.client_id != client.client_id:
        raise _invalid("unknown", client)
    _check_binding(request, code, client)  # first: only the code's rightful holder may trigger the revocation below
    if code.redeemed_at is not None:
        _revoke_what_it_issued(settings, code, now)
        raise _invalid("reused", client)
    if now >= code.expires_at:
        raise _invalid("expired", client)

    scopes = list(code.scopes)
    family_id = (refresh_tokens.new_family_id()
                 if "offline_access" in scopes and "refresh_token" in client.grant_types else None)
    jti = str(uuid.uuid4())
    with aws.dependency("dynamodb"):
        stood, user_record = aws.in_parallel(
            lambda: authorization_codes.redeem(settings, code, now=now, family_id=family_id, access_jti=jti,
                                               access_expires_at=now + settings.access_token_ttl),
            lambda: get_items({"user": (settings.users_table, user_key(code.sub))})["user"],  # as the refresh reads
        )
    if stood is not None:  # a parallel redemption won: this one is the second
        if stood.redeemed_at is not None:
            _revoke_what_it_issued(settings, stood, now)
        raise _invalid("reused", client)
    user = User.from_record(user_record) if user_record else None
    if user is None or user.blocked or user.session_epoch != code.user_epoch:
        raise _invalid("session_ended", client)
    return _tokens(settings, client, user, code, scopes, family_id, jti, now)


def _tokens(settings: Settings, client: Client, user: User, code: AuthorizationCode, scopes: list[str],
            family_id: str | None, jti: str, now: int) -> dict:
    """What the redeemed code gives: the ID and access tokens, and a refresh token family with offline_access."""
    signing_key = keyring.current_signing_key(settings)
    refresh_token = None
    if family_id:
        refresh_token = refresh_tokens.start_family(
            settings, sub=user.sub, client_id=client.client_id, scopes=scopes, auth_time=code.auth_time,
            epochs=(code.user_epoch, user.session_epochs(client.client_id)[1]), now=now, family_id=family_id)
        if refresh_token is None:  # a second redemption revoked it in the meantime
            raise _invalid("reused", client)
    id_token_claims = {"sid": code.sid, "amr": list(code.amr), **({"nonce": code.nonce} if code.nonce else {})}
    decided = issuing.Grant(client=client, scopes=scopes, user=user, auth_time=code.auth_time)
    response = issuing.issue(settings, signing_key, decided, refresh_token=refresh_token, now=now, jti=jti,
                             id_token_claims=id_token_claims)
    count("AuthorizationCodeRedeemed")
    return response
