"""OAuth clients in the clients table (`client_id` is the key); secrets are stored as Argon2id hashes.

A client is confidential (token_endpoint_auth_method client_secret_basic or client_secret_post: it holds a secret) or
public (`none`: a browser or mobile app that cannot keep one, identified by its client_id alone).
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.store.dynamo import from_item, to_item

CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
PUBLIC_AUTH_METHOD = "none"
AUTH_METHODS = (*CONFIDENTIAL_AUTH_METHODS, PUBLIC_AUTH_METHOD)

# A native app's redirect URI on this machine names an IP literal, not localhost, which a resolver may send elsewhere
# (RFC 8252 §8.3); a post-logout page of a development app may also be on localhost.
LOOPBACK_IPS = ("127.0.0.1", "::1")
LOCAL_HTTP_HOSTS = (*LOOPBACK_IPS, "localhost")


def _is_loopback_http(parts) -> bool:
    return parts.scheme == "http" and parts.hostname in LOOPBACK_IPS


def _without_port(parts) -> tuple:
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return parts.scheme, host, parts.path, parts.query


def redirect_uri_matches(requested: str, registered: str) -> bool:
    """Exact string comparison (RFC 9700 §2.1), except that a native app's loopback URI may name any port
    (RFC 8252 §7.3): the port is the only part allowed to differ."""
    if requested == registered:
        return True
    try:
        asked, known = urlsplit(requested), urlsplit(registered)
        asked.port, known.port  # noqa: B018  (read for the ValueError a malformed port raises)
    except ValueError:
        return False
    if not (_is_loopback_http(asked) and _is_loopback_http(known)) or "@" in asked.netloc or "#" in requested:
        return False
    try:
        ipaddress.ip_address(asked.hostname)
    except ValueError:
        return False
    return _without_port(asked) == _without_port(known) and requested == asked.geturl()


class ClientExists(Exception):
    """A client with this client_id is already registered."""


class NoSuchClient(Exception):
    """No client with this client_id is registered."""


@dataclass(frozen=True)
class Client:
    client_id: str
    secret_hash: str
    allowed_scopes: frozenset[str]
    grant_types: frozenset[str]
    name: str = ""
    token_endpoint_auth_method: str = "client_secret_basic"
    post_logout_redirect_uris: tuple[str, ...] = ()
    redirect_uris: tuple[str, ...] = ()
    third_party: bool = False  # a third party's app: the user is asked to consent (first-party apps are not)
    require_pkce: bool = False  # PKCE even for a confidential client (public clients always need it)
    no_sign_up: bool = False  # `oidc-admin client update ID --no-sign-up`: its users may not sign up themselves

    def registered_redirect_uri(self, requested: str | None) -> bool:
        return bool(requested) and any(redirect_uri_matches(requested, uri) for uri in self.redirect_uris)

    @property
    def display_name(self) -> str:
        """What the pages call the app: its name, or its id when the operator gave it none."""
        return self.name or self.client_id

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == PUBLIC_AUTH_METHOD

    @property
    def pkce_required(self) -> bool:
        """A public client has no secret to bind its code to, so it always needs PKCE (RFC 9700 §2.1.1); a
        confidential one when it asked to."""
        return self.is_public or self.require_pkce

    @classmethod
    def from_record(cls, record: dict) -> Client:
        return cls(
            client_id=record["client_id"],
            secret_hash=record.get("secret_hash") or "",
            allowed_scopes=frozenset(record.get("allowed_scopes", [])),
            grant_types=frozenset(record.get("grant_types", [])),
            name=record.get("name", ""),
            token_endpoint_auth_method=record.get("token_endpoint_auth_method", "client_secret_basic"),
            post_logout_redirect_uris=tuple(record.get("post_logout_redirect_uris") or ()),
            redirect_uris=tuple(record.get("redirect_uris") or ()),
            third_party=bool(record.get("third_party", False)),
            require_pkce=bool(record.get("require_pkce", False)),
            no_sign_up=bool(record.get("no_sign_up", False)),
        )


MAX_REDIRECT_URI_LENGTH = 2000
# RFC 3986's characters (unreserved, reserved, and % of a percent-encoding): anything else is refused, not encoded.
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_PERCENT_ENCODING = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DNS_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def checked_redirect_uri(uri: str, *, http_hosts: tuple[str, ...] = LOCAL_HTTP_HOSTS) -> str:
    """A redirect URI fit to register (post-logout, authorization), re-serialised; ValueError with the reason if not.

    Refused: anything a browser and Python may read differently (a backslash, whitespace, control characters,
    characters outside RFC 3986, userinfo: in `https://app.example.com\\@evil.com/` Python sees one host and a browser
    the other), a fragment (RFC 6749 §3.1.2), and plain http anywhere but on `http_hosts` (an authorization redirect
    URI's are LOOPBACK_IPS)."""
    if not isinstance(uri, str) or not uri:
        raise ValueError("empty")
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        raise ValueError(f"longer than {MAX_REDIRECT_URI_LENGTH} characters")
    if any(ord(character) < 0x20 or 0x7f <= ord(character) <= 0x9f for character in uri):
        raise ValueError("holds a control character")
    if any(character.isspace() for character in uri):
        raise ValueError("holds whitespace")
    if "\\" in uri:
        raise ValueError("holds a backslash")
    if not uri.isascii():
        raise ValueError("holds non-ASCII characters (percent-encode them; punycode for a host name)")
    if not _URI_CHARACTERS.fullmatch(uri) or _PERCENT_ENCODING.search(uri):
        raise ValueError("holds characters RFC 3986 does not allow in a URI")
    if "#" in uri:
        raise ValueError("has a fragment")
    try:
        parsed = urlsplit(uri)
    except ValueError:  # an unbalanced [ in the host
        raise ValueError("has no valid host") from None
    if "@" in parsed.netloc:
        raise ValueError("has userinfo (user@host)")
    scheme, host = parsed.scheme.lower(), (parsed.hostname or "")
    try:
        port = parsed.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    if host.startswith("[") or ":" in host:
        try:
            host = str(ipaddress.IPv6Address(host.strip("[]")))
        except ValueError:
            raise ValueError("has an invalid IPv6 host") from None
    elif not _DNS_NAME.fullmatch(host):
        raise ValueError("has no valid host")
    if not (scheme == "https" or (scheme == "http" and host in http_hosts)):
        raise ValueError(f"must be https (or http on {', '.join(f'[{h}]' if ':' in h else h for h in http_hosts)})")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    return urlunsplit((scheme, netloc, parsed.path, parsed.query, ""))


def client_key(client_id: str) -> dict:
    return {"client_id": {"S": client_id}}


def find(table: str, client_id: str) -> Client | None:
    with aws.dependency("dynamodb"):
        found = aws.client("dynamodb").get_item(TableName=table, Key=client_key(client_id), ConsistentRead=True)
    return Client.from_record(from_item(found["Item"])) if "Item" in found else None


def _record(client_id: str, secret_hash: str, allowed_scopes, grant_types, name: str, token_endpoint_auth_method: str,
            post_logout_redirect_uris, redirect_uris=(), third_party: bool = False, require_pkce: bool = False,
            no_sign_up: bool = False) -> dict:
    if token_endpoint_auth_method not in AUTH_METHODS:
        raise ValueError(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}")
    if (token_endpoint_auth_method == PUBLIC_AUTH_METHOD) != (not secret_hash):
        raise ValueError("a public client (none) has no secret, and a confidential client needs one")
    if token_endpoint_auth_method == PUBLIC_AUTH_METHOD and "client_credentials" in grant_types:
        raise ValueError("a public client cannot use the client_credentials grant: it has no secret to prove who it is")
    redirect_uris = [checked_redirect_uri(uri, http_hosts=LOOPBACK_IPS) for uri in redirect_uris]
    if "authorization_code" in grant_types and not redirect_uris:
        raise ValueError("the authorization_code grant needs at least one redirect URI")
    return {
        "client_id": client_id,
        "secret_hash": secret_hash or None,
        "allowed_scopes": sorted(set(allowed_scopes)),
        "grant_types": sorted(set(grant_types)),
        "name": name,
        "token_endpoint_auth_method": token_endpoint_auth_method,
        "post_logout_redirect_uris": sorted({checked_redirect_uri(uri) for uri in post_logout_redirect_uris}) or None,
        "redirect_uris": sorted(set(redirect_uris)) or None,
        # stored only when set, so clients registered before these existed read the same
        "third_party": True if third_party else None,
        "require_pkce": True if require_pkce else None,
        "no_sign_up": True if no_sign_up else None,
    }


def create(table: str, *, client_id: str, secret_hash: str, allowed_scopes, grant_types, name: str = "",
           token_endpoint_auth_method: str = "client_secret_basic", post_logout_redirect_uris=(), redirect_uris=(),
           third_party: bool = False, require_pkce: bool = False, no_sign_up: bool = False) -> Client:
    record = _record(client_id, secret_hash, allowed_scopes, grant_types, name, token_endpoint_auth_method,
                     post_logout_redirect_uris, redirect_uris, third_party, require_pkce, no_sign_up)
    record["created_at"] = int(time.time())
    try:
        aws.client("dynamodb").put_item(
            TableName=table, Item=to_item(record), ConditionExpression="attribute_not_exists(client_id)"
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise ClientExists(f"client {client_id!r} already exists") from None
        raise
    return Client.from_record(record)


def replace(table: str, client: Client) -> Client:
    """Store a changed client (same client_id), checked as create checks a new one."""
    record = _record(client.client_id, client.secret_hash, client.allowed_scopes, client.grant_types, client.name,
                     client.token_endpoint_auth_method, client.post_logout_redirect_uris, client.redirect_uris,
                     client.third_party, client.require_pkce, client.no_sign_up)
    record["updated_at"] = int(time.time())
    present = [name for name, value in record.items() if name != "client_id" and value is not None]
    absent = [name for name, value in record.items() if value is None]
    expression = "SET " + ", ".join(f"#{name} = :{name}" for name in present)
    if absent:
        expression += " REMOVE " + ", ".join(f"#{name}" for name in absent)
    try:
        aws.client("dynamodb").update_item(
            TableName=table, Key=client_key(client.client_id), ConditionExpression="attribute_exists(client_id)",
            UpdateExpression=expression,
            ExpressionAttributeNames={f"#{name}": name for name in present + absent},
            ExpressionAttributeValues=to_item({f":{name}": record[name] for name in present}),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NoSuchClient(f"no client {client.client_id!r}") from None
        raise
    return Client.from_record(record)
