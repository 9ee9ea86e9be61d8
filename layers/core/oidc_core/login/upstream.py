"""Lazy migration: a password login that names nobody here (or a user imported without a password) is checked once
against the identity provider the users come from, and on success the user is created here and never asks it again.

The upstream is any OpenID provider with a password grant (Authing, or another of these stacks): its issuer, our
client id there and the client secret, in the Secrets Manager secret UPSTREAM_SECRET_ID as
    {"issuer": "https://…", "client_id": "…", "client_secret": "…"}
(`oidc-admin upstream set`; `{}` is off), read and cached like the keys, for KEY_CACHE_SECONDS. The issuer is https,
or http on a loopback address (a second local stack in the tests).

Where passwords may go (issue 23 point 8): the discovery document cannot send them elsewhere. The token endpoint and
the JWKS must be on the issuer's own origin, unless the secret pins them ("token_endpoint", "jwks_uri"), and every
request goes only to a public address: inside Lambda never a loopback one (the Runtime API listens on 127.0.0.1:9001),
nor anywhere a private, link-local or reserved one. Outside Lambda (the local stack, the tests) http on loopback is
allowed, as for the issuer. Names are resolved before each request to check that; urllib resolves again to connect,
so a DNS answer that changes in between (rebinding) is not caught: the issuer is the operator's choice, not a user's.

credentials.check_password calls it after the lockout and throttling checks, never before. One login makes at most
three requests, all within UPSTREAM_TIMEOUT_SECONDS together, well inside the function's timeout: the discovery
document and the JWKS (both cached per container for KEY_CACHE_SECONDS) and a password grant to the token endpoint
with the same identifier and the plain password, client_secret_post. On 200 the id token is verified against the
upstream's JWKS (signature, iss, aud, exp) and the user is created with the upstream's sub, its profile claims and an
Argon2id hash of the password (or, for a user imported without one, given that hash). Upstream `invalid_grant` is the
usual failure; anything else (timeout, 5xx, a bad id token) is 503 and creates nothing.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import jwt

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.errors import DependencyUnavailable
from oidc_core.keys import keyring
from oidc_core.observability import count, logger
from oidc_core.passwords import hashing
from oidc_core.store import users
from oidc_core.store.dynamo import get_items
from oidc_core.store.identifiers import LoginIdentifier

UPSTREAM_TIMEOUT_SECONDS = 2.0
MAX_RESPONSE_BYTES = 1 << 20
SCOPE = "openid profile email phone"
# Claims the upstream's id token may give the new user (OIDC Core §5.1), besides the identifiers.
_PROFILE_CLAIMS = users.PROFILE_FIELDS
_ACCEPTED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


class UpstreamUnavailable(DependencyUnavailable):
    """The upstream did not answer as it should (timeout, 5xx, a bad id token): 503, nothing created or counted."""

    def __init__(self, reason: str):
        super().__init__("upstream")
        self.reason = reason


class UnusableUpstream(ValueError):
    """Upstream settings that may not be used (not https, nor http on loopback; a part missing)."""


@dataclass(frozen=True)
class Upstream:
    issuer: str
    client_id: str
    client_secret: str
    token_endpoint: str = ""  # pinned by the operator: used instead of the discovery document's, on any https origin
    jwks_uri: str = ""


def check_issuer(issuer: str) -> str:
    """The issuer, if it may be an upstream: https, or http on a loopback address."""
    parsed = urllib.parse.urlsplit(issuer)
    if parsed.scheme == "https" and parsed.hostname:
        return issuer.rstrip("/")
    if parsed.scheme == "http" and parsed.hostname:
        try:
            loopback = parsed.hostname == "localhost" or ipaddress.ip_address(parsed.hostname).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return issuer.rstrip("/")
    raise UnusableUpstream("the upstream issuer must be an https URL (http only on a loopback address)")


def parse_settings(document: dict) -> Upstream | None:
    """The upstream a secret's document names; None when it is off ({})."""
    if not document:
        return None
    if not all(isinstance(document.get(name), str) and document[name] for name in ("issuer", "client_id",
                                                                                    "client_secret")):
        raise UnusableUpstream("the upstream secret needs issuer, client_id and client_secret")
    pinned = {name: document.get(name) or "" for name in ("token_endpoint", "jwks_uri")}
    if not all(isinstance(url, str) for url in pinned.values()):
        raise UnusableUpstream("a pinned endpoint must be a URL")
    return Upstream(check_issuer(document["issuer"]), document["client_id"], document["client_secret"],
                    **{name: check_issuer(url) if url else "" for name, url in pinned.items()})


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme, (parsed.hostname or "").lower(), parsed.port or {"https": 443, "http": 80}.get(parsed.scheme)


def _in_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_RUNTIME_API"))


def _may_connect(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_loopback:
        return not _in_lambda()
    return ip.is_global and not ip.is_multicast


def check_address(url: str) -> None:
    """UpstreamUnavailable unless every address the URL's host resolves to may be asked (see the module's doc)."""
    scheme, host, port = _origin(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UpstreamUnavailable("unreachable") from None
    if not found or not all(_may_connect(entry[4][0]) for entry in found):
        raise UpstreamUnavailable("forbidden_address")


def configured(settings: Settings) -> Upstream | None:
    """The upstream in force (None: lazy migration is off)."""
    if not settings.upstream_secret_id:
        return None
    document = keyring.json_secret(settings.upstream_secret_id, settings.key_cache_seconds, "upstream")
    try:
        return parse_settings(document)
    except UnusableUpstream as error:
        logger.warning("upstream secret unusable", extra={"reason": str(error)})
        raise UpstreamUnavailable("unusable_settings") from None


# -- HTTP, bounded by one deadline per login ---------------------------------------------------------------------------

class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect could leave https or loopback: an upstream answers where it is asked


_opener = urllib.request.build_opener(_NoRedirects)


def _request(url: str, deadline: float, data: dict | None = None) -> tuple[int, dict]:
    """(status, JSON body) of a GET, or a form POST; UpstreamUnavailable on timeout, network error or non-JSON."""
    check_issuer(url)  # every URL the discovery document names must be https (or loopback) too
    check_address(url)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise UpstreamUnavailable("timeout")
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json", **(
        {"Content-Type": "application/x-www-form-urlencoded"} if body else {})})
    try:
        with _opener.open(request, timeout=remaining) as response:
            status, raw = response.status, response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read(MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError):
        raise UpstreamUnavailable("unreachable") from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise UpstreamUnavailable("response_too_large")
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise UpstreamUnavailable(f"status_{status}" if status >= 500 else "not_json")
    return status, document


_cache: dict[str, tuple[float, dict]] = {}  # URL -> (fetched at, document): discovery and JWKS, per container


def _cached(url: str, settings: Settings, deadline: float, refresh: bool = False) -> dict:
    now = time.monotonic()
    hit = _cache.get(url)
    if hit and not refresh and now - hit[0] < settings.key_cache_seconds:
        return hit[1]
    status, document = _request(url, deadline)
    if status != 200:
        raise UpstreamUnavailable(f"status_{status}")
    _cache[url] = (now, document)
    return document


def clear_cache() -> None:
    _cache.clear()


def _discovery(upstream: Upstream, settings: Settings, deadline: float) -> dict:
    """The token endpoint and the JWKS URI: pinned ones, or the discovery document's on the issuer's own origin."""
    document = _cached(upstream.issuer + "/.well-known/openid-configuration", settings, deadline)
    if document.get("issuer") != upstream.issuer:
        raise UpstreamUnavailable("bad_discovery")
    endpoints = {}
    for name in ("token_endpoint", "jwks_uri"):
        url = getattr(upstream, name) or document.get(name)
        if not isinstance(url, str) or not (getattr(upstream, name) or _origin(url) == _origin(upstream.issuer)):
            raise UpstreamUnavailable("bad_discovery")  # a discovery document may not send passwords elsewhere
        endpoints[name] = url
    return endpoints


def _signing_key(jwks_uri: str, token: str, settings: Settings, deadline: float):
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        raise UpstreamUnavailable("bad_id_token") from None
    for refresh in (False, True):  # a kid we have not seen: the upstream may have rotated, read its JWKS once more
        try:
            keys = jwt.PyJWKSet.from_dict(_cached(jwks_uri, settings, deadline, refresh=refresh)).keys
        except jwt.PyJWTError:
            raise UpstreamUnavailable("bad_jwks") from None
        found = [key for key in keys if key.key_id == kid or (kid is None and len(keys) == 1)]
        if found:
            return found[0]
    raise UpstreamUnavailable("unknown_signing_key")


def _verified_claims(upstream: Upstream, discovery: dict, id_token, settings: Settings, deadline: float) -> dict:
    if not isinstance(id_token, str):
        raise UpstreamUnavailable("no_id_token")
    key = _signing_key(discovery["jwks_uri"], id_token, settings, deadline)
    try:
        claims = jwt.decode(id_token, key=key.key, algorithms=_ACCEPTED_ALGORITHMS, audience=upstream.client_id,
                            issuer=upstream.issuer, options={"require": ["iss", "aud", "exp", "iat", "sub"]},
                            leeway=60)
    except jwt.PyJWTError:
        raise UpstreamUnavailable("bad_id_token") from None
    try:
        users.check_sub(claims["sub"])
    except (ValueError, TypeError):
        raise UpstreamUnavailable("unusable_sub") from None
    return claims


def password_grant(upstream: Upstream, settings: Settings, kind: str, value: str, password: str) -> dict | None:
    """The upstream's verified id token claims when it accepts the password; None when it answers invalid_grant."""
    deadline = time.monotonic() + UPSTREAM_TIMEOUT_SECONDS
    discovery = _discovery(upstream, settings, deadline)
    status, answer = _request(discovery["token_endpoint"], deadline, {
        "grant_type": "password", kind: value, "password": password, "scope": SCOPE,
        "client_id": upstream.client_id, "client_secret": upstream.client_secret})
    if status == 400 and answer.get("error") == "invalid_grant":
        return None
    if status != 200:
        raise UpstreamUnavailable(f"status_{status}")
    return _verified_claims(upstream, discovery, answer.get("id_token"), settings, deadline)


# -- the user it makes ------------------------------------------------------------------------------------------------

def _text(claims: dict, name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


_FIELD_OF_KIND = {"username": "username", "email": "email", "phone": "phone"}


def _new_user(settings: Settings, claims: dict, fields: dict, password_hash: str) -> users.NewUser:
    profile = {name: claims[name] for name in _PROFILE_CLAIMS if isinstance(claims.get(name), str) and claims[name]}
    return users.new_user(password_hash=password_hash, default_country_code=settings.default_phone_country_code,
                          email_verified=bool(fields.get("email")) and claims.get("email_verified") is True,
                          phone_number_verified=bool(fields.get("phone")) and claims.get("phone_number_verified") is True,
                          profile=profile, sub=claims["sub"], origin={"migrated_at": int(time.time())}, **fields)


def _write(settings: Settings, new: users.NewUser) -> bool:
    from botocore.exceptions import ClientError

    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=new.writes(settings.users_table))
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return False
    return True


def _create(settings: Settings, claims: dict, identifier: LoginIdentifier, value: str,
            password_hash: str) -> users.User | None:
    """The user the upstream vouched for, written here with its identifiers; with the one this login used alone when
    the others cannot be (another user here has them, or they are not usable here); if a parallel first login wrote
    it first, that user. None: the sub or the identifier used is someone else's here."""
    used = {_FIELD_OF_KIND[identifier.kind]: value}
    # An email or phone becomes a login identifier here only when the upstream verified it (issue 23 point 9:
    # otherwise anyone could claim a victim's address upstream and sign in with it here), apart from the identifier
    # used, which the upstream just accepted with the password and which must find the user next time.
    everything = {"username": _text(claims, "preferred_username"),
                  "email": _text(claims, "email") if claims.get("email_verified") is True else None,
                  "phone": _text(claims, "phone_number") if claims.get("phone_number_verified") is True else None,
                  **used}
    for fields in (everything, used):
        try:
            new = _new_user(settings, claims, fields, password_hash)
        except ValueError:
            continue
        if _write(settings, new):
            return users.User.from_record(new.record)
    with aws.dependency("dynamodb"):
        found = get_items({"pointer": (settings.users_table, users.identifier_key(identifier)),
                           "user": (settings.users_table, users.user_key(claims["sub"]))})
    if found["pointer"] and found["pointer"].get("sub") == claims["sub"] and found["user"]:
        return users.User.from_record(found["user"])
    return None


def migrate(settings: Settings, upstream: Upstream, identifier: LoginIdentifier, value: str, password: str,
            waiting: users.User | None) -> users.User | None:
    """Check the password upstream and make the user here: the user, or None for the usual failure. `waiting` is the
    user imported without a password whom the identifier names (None: it names nobody here)."""
    try:
        claims = password_grant(upstream, settings, identifier.kind, value, password)
    except UpstreamUnavailable as failure:
        count("UpstreamFailures")
        logger.warning("upstream unavailable", extra={"reason": failure.reason})
        raise
    if claims is None:
        return None
    if waiting is not None and claims["sub"] != waiting.sub:
        logger.warning("upstream sub differs from the imported user's", extra={"sub": waiting.sub})
        return None
    password_hash = hashing.hash_password(password, settings.argon2)
    if waiting is not None:
        given = users.give_waiting_user_a_password(settings.users_table, waiting.sub, password_hash)
        user = users.find_by_sub(settings.users_table, waiting.sub)
        if not given and (user is None or not hashing.verify_password(password, user.password_hash)):
            return None  # the user got another password in the meantime: that one counts, not the upstream's
    else:
        user = _create(settings, claims, identifier, value, password_hash)
    if user is not None:
        count("UpstreamMigrations")
        logger.info("user migrated from the upstream", extra={"sub": user.sub})
    return user
