"""Browser sessions at the provider: what the login page's cookie stands for, in the tokens table
(`pk = bsession#<sid>`).

The cookie's value is `<sid>.<secret>`. The sid is public (it is the id_token's `sid` claim, and RP-initiated logout
names the session by it); the 256-bit secret only the browser holds, and the item keeps its SHA-256, so neither the
id_token nor a copy of the table lets anyone present the cookie.

A session has an absolute lifetime from the login and an idle one from its last use (BrowserSessionTtl and
BrowserSessionIdleTtl; the table's TTL attribute is the earlier). It ends when it is deleted (logout at
/oidc/session/end), and when the user's session epoch moves on (store.users: signing the user out everywhere,
a password change, a block), which the item remembers from the login, as refresh token families do.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.store.dynamo import to_item
from oidc_core.store.users import User

COOKIE_NAME = "oidc_session"
HOST_ONLY_PREFIX = "__Host-"
_SID = re.compile(r"[A-Za-z0-9_-]{22}")  # fullmatch: `$` would let a trailing newline through
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
TOUCH_AFTER_SECONDS = 60  # the idle limit moves at most once a minute: one write, not one per request
# Over https every answer says so for a year (RFC 6797), so that the cookies below are never sent in the clear
HSTS_HEADER = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}


def cookie_name(name: str, settings: Settings) -> str:
    """The name a browser cookie goes by. Over https it carries the `__Host-` prefix: a browser accepts such a cookie
    only from this very host, Secure, with Path=/ and no Domain (RFC 6265bis §4.1.3.2), so neither a sibling
    subdomain nor a plain-http answer can plant one (a planted session is a login CSRF). A local stack over plain
    http cannot be Secure, so it keeps the bare name."""
    return HOST_ONLY_PREFIX + name if settings.secure_cookies else name


def transport_headers(settings: Settings) -> dict:
    return dict(HSTS_HEADER) if settings.secure_cookies else {}


def cookie_header(name: str, value: str, settings: Settings, *, max_age: int | None = None) -> str:
    """A Set-Cookie value the scripts of a page cannot read (HttpOnly), sent on top-level navigations from other
    sites but not on their subrequests or POSTs (SameSite=Lax), for the whole host (Path=/, as `__Host-` requires),
    and Secure whenever the issuer is https. `name` is the bare name; the prefix is added here."""
    attributes = [f"{cookie_name(name, settings)}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        attributes.append(f"Max-Age={max_age}")
    if settings.secure_cookies:
        attributes.append("Secure")
    return "; ".join(attributes)


def presented(cookies: dict[str, str], name: str, settings: Settings) -> str | None:
    """The value of the browser's cookie `name` (bare), under the name this issuer gives it."""
    return cookies.get(cookie_name(name, settings))


def set_cookie(value: str, settings: Settings) -> str:
    return cookie_header(COOKIE_NAME, value, settings, max_age=settings.browser_session_ttl)


def cleared_cookie(settings: Settings) -> str:
    return cookie_header(COOKIE_NAME, "", settings, max_age=0)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def session_key(sid: str) -> dict:
    return {"pk": {"S": f"bsession#{sid}"}}


@dataclass(frozen=True)
class PresentedCookie:
    sid: str
    digest: str


def parse_cookie(value: str | None) -> PresentedCookie | None:
    sid, dot, secret = (value or "").partition(".")
    if not dot or not _SID.fullmatch(sid) or not _SECRET.fullmatch(secret):
        return None
    return PresentedCookie(sid, _digest(secret))


@dataclass(frozen=True)
class BrowserSession:
    sid: str
    sub: str
    auth_time: int
    absolute_expires_at: int
    expires_at: int
    last_seen: int
    user_epoch: int
    secret_digest: str
    amr: tuple[str, ...] = ("pwd",)  # RFC 8176: how the user authenticated at the login (a password, before amr)

    @classmethod
    def from_record(cls, record: dict) -> BrowserSession:
        return cls(sid=record["pk"].removeprefix("bsession#"), sub=record["sub"], auth_time=int(record["auth_time"]),
                   absolute_expires_at=int(record["absolute_expires_at"]), expires_at=int(record["expires_at"]),
                   last_seen=int(record["last_seen"]), user_epoch=int(record.get("user_epoch", 0)),
                   secret_digest=record["secret_digest"], amr=tuple(record.get("amr") or ("pwd",)))

    def presented_by(self, cookie: PresentedCookie) -> bool:
        return cookie.sid == self.sid and hmac.compare_digest(cookie.digest, self.secret_digest)

    def live_for(self, user: User | None, now: int) -> bool:
        """Not expired (the table's TTL deletes lazily), and the user may still be signed in as at the login."""
        return (now < self.expires_at and user is not None and not user.blocked
                and user.sub == self.sub and user.session_epoch == self.user_epoch)


def start(settings: Settings, *, sub: str, user_epoch: int, now: int, amr=("pwd",)) -> tuple[str, BrowserSession]:
    """A new session for a login (never an old id reused: no session fixation); returns the cookie value."""
    sid, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    absolute = now + settings.browser_session_ttl
    session = BrowserSession(sid=sid, sub=sub, auth_time=now, absolute_expires_at=absolute,
                             expires_at=min(absolute, now + settings.browser_session_idle_ttl), last_seen=now,
                             user_epoch=user_epoch, secret_digest=_digest(secret), amr=tuple(amr))
    record = {"pk": session_key(sid)["pk"]["S"], "sub": sub, "auth_time": now, "created_at": now,
              "absolute_expires_at": absolute, "expires_at": session.expires_at, "last_seen": now,
              "user_epoch": user_epoch, "secret_digest": session.secret_digest, "amr": list(amr)}
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").put_item(TableName=settings.tokens_table, Item=to_item(record),
                                        ConditionExpression="attribute_not_exists(pk)")
    return f"{sid}.{secret}", session


def touch(settings: Settings, session: BrowserSession, now: int) -> None:
    """Used again: the idle limit moves on (never past the absolute one)."""
    if now - session.last_seen < TOUCH_AFTER_SECONDS:
        return
    expires = min(session.absolute_expires_at, now + settings.browser_session_idle_ttl)
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(
                TableName=settings.tokens_table, Key=session_key(session.sid),
                UpdateExpression="SET last_seen = :now, expires_at = :expires",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_item({":now": now, ":expires": expires}),
            )
        except ClientError as error:  # ended in the meantime: nothing to keep alive
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def end(settings: Settings, sid: str, *, sub: str | None = None, cookie: PresentedCookie | None = None) -> None:
    """Delete the session, only if it is `sub`'s (a logout hint names its own user's session) or only if `cookie`
    holds its secret (a cookie naming someone else's sid ends nothing). No such session: nothing to do."""
    if sub is not None:
        condition, values = "#owner = :owner", {":owner": sub}
    elif cookie is not None:
        condition, values = "secret_digest = :digest", {":digest": cookie.digest}
    else:
        condition, values = None, {}
    arguments = {"TableName": settings.tokens_table, "Key": session_key(sid)}
    if condition:
        arguments.update(ConditionExpression=condition, ExpressionAttributeValues=to_item(values))
        if sub is not None:
            arguments["ExpressionAttributeNames"] = {"#owner": "sub"}
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").delete_item(**arguments)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
