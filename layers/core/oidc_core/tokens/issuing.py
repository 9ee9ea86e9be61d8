"""Issuing tokens: RS256 JWT access tokens (typ at+jwt, RFC 9068) and id tokens (OIDC Core §2)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

import jwt
from jwt.algorithms import RSAAlgorithm

from oidc_core.tokens.claims import user_claims
from oidc_core.store.clients import Client
from oidc_core.config import Settings
from oidc_core.store.users import User


class Signer(Protocol):
    """A signing key: keys.SigningKey (from Secrets Manager) or kms_keys.KmsSigningKey."""

    kid: str

    def sign(self, signing_input: bytes) -> bytes: ...


class _SignedByKey(RSAAlgorithm):
    """RS256 whose signature the key object makes: an RSA key of ours, or a KMS key that never leaves KMS."""

    def prepare_key(self, key):
        return key

    def check_key_length(self, key):
        return None  # our keys are 2048 bits or more (jwk.generate_rsa_private_key_pem, KMS RSA_2048)

    def sign(self, msg: bytes, key) -> bytes:
        return key.sign(msg)


_jws = jwt.PyJWS()
_jws.unregister_algorithm("RS256")
_jws.register_algorithm("RS256", _SignedByKey(RSAAlgorithm.SHA256))


@dataclass(frozen=True)
class Grant:
    """What a grant decided: who, for which client, with which scopes, authenticated when."""

    client: Client
    scopes: list[str]
    user: User | None = None
    auth_time: int | None = None


def _sign(claims: dict, key: Signer, token_type: str) -> str:
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return _jws.encode(payload, key, algorithm="RS256", headers={"kid": key.kid, "typ": token_type})


def _at_hash(access_token: str) -> str:
    # OIDC Core §3.1.3.6: left half of the SHA-256 of the access token, base64url.
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def issue(settings: Settings, key: Signer, grant: Grant, *, refresh_token: str | None = None,
          now: int | None = None, jti: str | None = None, id_token_claims: dict | None = None) -> dict:
    """The token response body (RFC 6749 §5.1, OIDC Core §3.1.3.3); the grant decides about the refresh token.
    `jti` names the access token when the grant must know it beforehand (the code grant records it to revoke it);
    `id_token_claims` adds what the grant knows about the login (nonce, sid, amr)."""
    now = int(time.time()) if now is None else now
    # offline_access without a refresh token (the client may not redeem one) was not granted: the answer says so.
    scope = " ".join(scope for scope in grant.scopes if refresh_token or scope != "offline_access")
    subject = grant.user.sub if grant.user else grant.client.client_id
    access_claims = {
        "jti": jti or str(uuid.uuid4()),
        "sub": subject,
        "iss": settings.issuer,
        "aud": grant.client.client_id,
        "client_id": grant.client.client_id,
        "iat": now,
        "exp": now + settings.access_token_ttl,
        "scope": scope,
    }
    if grant.user is None:
        access_claims["azp"] = grant.client.client_id  # a client acting for itself (client_credentials)
    access_token = _sign(access_claims, key, "at+jwt")
    response = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl,
        "scope": scope,
    }
    if grant.user and "openid" in grant.scopes:
        id_claims = {
            "sub": subject,
            "iss": settings.issuer,
            "aud": grant.client.client_id,
            "iat": now,
            "exp": now + settings.id_token_ttl,
            "auth_time": grant.auth_time or now,
            "at_hash": _at_hash(access_token),
            **user_claims(grant.user, grant.scopes),
            **(id_token_claims or {}),
        }
        response["id_token"] = _sign(id_claims, key, "JWT")
    if refresh_token:
        response["refresh_token"] = refresh_token
    return response
