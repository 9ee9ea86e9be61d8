"""Checking the JWTs this service issued, with the published JWKS only (no private key is needed to verify), and
the revocation list of access tokens in the tokens table (`pk = revoked#<jti>`, kept until the token expires).

Only RS256 with a kid from our JWKS is accepted, so `alg: none`, an HS256 token keyed with our public key and a
token signed by another key under our kid all fail here. The `typ` header keeps the token kinds apart: an access
token is `at+jwt` (RFC 9068), an id_token `JWT`, so an id_token is never accepted as a bearer token.
"""

from __future__ import annotations

import functools
import json

import jwt

from oidc_core import aws
from oidc_core.keys import keyring
from oidc_core.config import Settings
from oidc_core.store.dynamo import to_item

ACCESS_TOKEN_TYPE = "at+jwt"
ID_TOKEN_TYPE = "JWT"
MAX_JWT_LENGTH = 8192  # our tokens are about 1 KB; a larger one is not ours and is not parsed


class InvalidToken(Exception):
    """Not a token this service issued and still accepts; the reason is a code for the log, never for the client."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@functools.lru_cache(maxsize=16)
def _public_key(jwk_json: str):
    return jwt.PyJWK(json.loads(jwk_json), algorithm="RS256").key


def _key_for(settings: Settings, kid) -> object:
    for jwk in keyring.published_jwks(settings)["keys"]:
        if isinstance(kid, str) and jwk.get("kid") == kid:
            return _public_key(json.dumps(jwk, sort_keys=True))
    raise InvalidToken("unknown_kid")


def verified_claims(token: str | None, settings: Settings, *, token_type: str, verify_exp: bool = True) -> dict:
    """The claims of a token we signed, after checking signature, `typ`, `iss`, and `exp` unless told otherwise."""
    if not token or len(token) > MAX_JWT_LENGTH or not token.isascii():
        raise InvalidToken("malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("malformed") from None
    if header.get("alg") != "RS256":
        raise InvalidToken("algorithm")
    if header.get("typ") != token_type:
        raise InvalidToken("token_type")
    try:
        return jwt.decode(
            token, _key_for(settings, header.get("kid")), algorithms=["RS256"], issuer=settings.issuer,
            options={"verify_aud": False, "verify_exp": verify_exp, "require": ["iss", "sub", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("expired") from None
    except jwt.PyJWTError:
        raise InvalidToken("signature_or_claims") from None


def id_token_hint_claims(token: str | None, settings: Settings) -> dict:
    """The claims of an ID token we issued, sent back as a hint of who is signed in (OIDC Core §3.1.2.1
    id_token_hint, RP-Initiated Logout §2): an expired one is still a valid hint, so `exp` is not checked."""
    return verified_claims(token, settings, token_type=ID_TOKEN_TYPE, verify_exp=False)


def access_token_claims(token: str | None, settings: Settings) -> dict:
    claims = verified_claims(token, settings, token_type=ACCESS_TOKEN_TYPE)
    if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("client_id"), str):
        raise InvalidToken("claims")
    return claims


def revocation_key(jti: str) -> dict:
    return {"pk": {"S": f"revoked#{jti}"}}


def revoke(settings: Settings, claims: dict) -> None:
    """Refuse this access token from now until it would have expired anyway (then the table's TTL removes the entry)."""
    record = {"pk": f"revoked#{claims['jti']}", "client_id": claims["client_id"], "expires_at": int(claims["exp"])}
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").put_item(TableName=settings.tokens_table, Item=to_item(record))
