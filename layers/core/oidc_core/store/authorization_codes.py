"""Authorization codes (RFC 6749 §4.1.2) in the tokens table, `pk = code#<SHA-256 of the code>`.

A code is 256 random bits (base64url); only its digest is stored, so a copy of the table holds no usable code. The
item binds the code to everything the authorization request decided: the client, the redirect URI, the PKCE
challenge, the nonce, the scopes, the user, the browser session and when the user authenticated. It lives
AuthorizationCodeTtl seconds (at most 600, the RFC's recommended maximum).

Redeeming is one conditional write that also records what the redemption is about to issue (the refresh token
family and the access token's jti and expiry), so that a second redemption, which RFC 6749 §4.1.2 says must fail,
can revoke everything the first one issued: a code seen twice may have been stolen.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import from_item, to_item

_CODE_BYTES = 32
MAX_CODE_LENGTH = 128  # a real code is 43 characters; anything far longer is not one and is not hashed


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def code_key(code: str) -> dict:
    return {"pk": {"S": f"code#{_digest(code)}"}}


def looks_like_a_code(code: str | None) -> bool:
    return bool(code) and len(code) <= MAX_CODE_LENGTH and code.isascii()


@dataclass(frozen=True)
class AuthorizationCode:
    key: str
    client_id: str
    redirect_uri: str | None
    code_challenge: str | None
    nonce: str | None
    scopes: tuple[str, ...]
    sub: str
    sid: str
    auth_time: int
    user_epoch: int
    expires_at: int
    amr: tuple[str, ...] = ("pwd",)  # RFC 8176, what the interaction's steps produced (a password, before amr)
    redeemed_at: int | None = None
    family_id: str | None = None  # what the redemption issued, so a second one can revoke it
    access_jti: str | None = None
    access_expires_at: int | None = None

    @classmethod
    def from_record(cls, record: dict) -> AuthorizationCode:
        return cls(
            key=record["pk"],
            client_id=record["client_id"],
            redirect_uri=record.get("redirect_uri"),
            code_challenge=record.get("code_challenge"),
            nonce=record.get("nonce"),
            scopes=tuple(record.get("scope", "").split()),
            sub=record["sub"],
            sid=record["sid"],
            auth_time=int(record["auth_time"]),
            user_epoch=int(record.get("user_epoch", 0)),
            expires_at=int(record["expires_at"]),
            amr=tuple(record.get("amr") or ("pwd",)),
            redeemed_at=record.get("redeemed_at"),
            family_id=record.get("family_id"),
            access_jti=record.get("access_jti"),
            access_expires_at=record.get("access_expires_at"),
        )


def issue(settings: Settings, *, client_id: str, redirect_uri: str | None, code_challenge: str | None,
          nonce: str | None, scopes, sub: str, sid: str, auth_time: int, user_epoch: int, now: int,
          amr=("pwd",)) -> str:
    """A new code for what the authorization request decided; returns the code (only its digest is kept)."""
    code = secrets.token_urlsafe(_CODE_BYTES)
    record = {
        "pk": code_key(code)["pk"]["S"],
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": code_challenge,
        "nonce": nonce,
        "scope": " ".join(scopes),
        "sub": sub,
        "sid": sid,
        "auth_time": auth_time,
        "user_epoch": user_epoch,
        "amr": list(amr),
        "issued_at": now,
        "expires_at": now + settings.authorization_code_ttl,
    }
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").put_item(TableName=settings.tokens_table, Item=to_item(record),
                                        ConditionExpression="attribute_not_exists(pk)")
    return code


def redeem(settings: Settings, code: AuthorizationCode, *, now: int, family_id: str | None, access_jti: str,
           access_expires_at: int) -> AuthorizationCode | None:
    """Mark the code redeemed, with what this redemption issues. None when it was this call that redeemed it;
    otherwise the code as it stands (redeemed by someone else in the meantime, or gone)."""
    values = {":now": now, ":family": family_id, ":jti": access_jti, ":access_exp": access_expires_at}
    # Kept as long as the access token lives, so a late second redemption still finds what to revoke.
    expression = ("SET redeemed_at = :now, access_jti = :jti, access_expires_at = :access_exp, "
                  "expires_at = :access_exp")
    if family_id:
        expression += ", family_id = :family"
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(
                TableName=settings.tokens_table, Key={"pk": {"S": code.key}}, UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(redeemed_at) AND expires_at > :now",
                ExpressionAttributeValues=to_item(values), ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item = error.response.get("Item")
            return AuthorizationCode.from_record(from_item(item)) if item else None
    return None
