"""OAuth clients in the clients table (`client_id` is the key); secrets are stored as Argon2id hashes.

A client is confidential (token_endpoint_auth_method client_secret_basic or client_secret_post: it holds a secret) or
public (`none`: a browser or mobile app that cannot keep one, identified by its client_id alone).
"""

from __future__ import annotations

import time
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.store.dynamo import from_item, to_item

CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
PUBLIC_AUTH_METHOD = "none"
AUTH_METHODS = (*CONFIDENTIAL_AUTH_METHODS, PUBLIC_AUTH_METHOD)


LOOPBACK_HOSTS = ("127.0.0.1", "::1")


def _is_loopback_http(parts) -> bool:
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def checked_redirect_uri(uri: str) -> str:
    """A redirect URI fit to register (RFC 9700 §2.1, RFC 8252 §7.3): absolute https, or http on a loopback IP
    literal; no fragment (RFC 6749 §3.1.2), no userinfo, no whitespace, control character or backslash (which
    browsers and parsers read differently). ValueError otherwise. The URI is returned as given: matching is exact."""
    if not isinstance(uri, str) or not uri or len(uri) > 2000:
        raise ValueError("a redirect URI must be a non-empty URL of at most 2000 characters")
    if any(character.isspace() or ord(character) < 0x20 or ord(character) == 0x7f or character == "\\"
           for character in uri) or not uri.isascii():
        raise ValueError(f"a redirect URI may not hold whitespace, control characters, backslashes or non-ASCII: {uri!r}")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"not a URL: {uri!r}") from None
    if "#" in uri:
        raise ValueError(f"a redirect URI may not have a fragment: {uri!r}")
    if "@" in parts.netloc:
        raise ValueError(f"a redirect URI may not carry userinfo: {uri!r}")
    if not parts.hostname:
        raise ValueError(f"a redirect URI needs a host: {uri!r}")
    if parts.scheme == "http" and parts.hostname == "localhost":
        raise ValueError(f"a redirect URI on this machine is http://127.0.0.1 or http://[::1], not localhost "
                         f"(RFC 8252 §8.3): {uri!r}")
    if not (parts.scheme == "https" or _is_loopback_http(parts)):
        raise ValueError(f"a redirect URI must be https, or http on 127.0.0.1 or [::1]: {uri!r}")
    return uri


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
        asked.port, known.port  # noqa: B018
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

    def registered_redirect_uri(self, requested: str | None) -> bool:
        return bool(requested) and any(redirect_uri_matches(requested, uri) for uri in self.redirect_uris)

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == PUBLIC_AUTH_METHOD

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
        )


def client_key(client_id: str) -> dict:
    return {"client_id": {"S": client_id}}


def find(table: str, client_id: str) -> Client | None:
    with aws.dependency("dynamodb"):
        found = aws.client("dynamodb").get_item(TableName=table, Key=client_key(client_id), ConsistentRead=True)
    return Client.from_record(from_item(found["Item"])) if "Item" in found else None


def _record(client_id: str, secret_hash: str, allowed_scopes, grant_types, name: str, token_endpoint_auth_method: str,
            post_logout_redirect_uris, redirect_uris=(), third_party: bool = False, require_pkce: bool = False) -> dict:
    if token_endpoint_auth_method not in AUTH_METHODS:
        raise ValueError(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}")
    if (token_endpoint_auth_method == PUBLIC_AUTH_METHOD) != (not secret_hash):
        raise ValueError("a public client (none) has no secret, and a confidential client needs one")
    if token_endpoint_auth_method == PUBLIC_AUTH_METHOD and "client_credentials" in grant_types:
        raise ValueError("a public client cannot use the client_credentials grant: it has no secret to prove who it is")
    redirect_uris = [checked_redirect_uri(uri) for uri in redirect_uris]
    if "authorization_code" in grant_types and not redirect_uris:
        raise ValueError("the authorization_code grant needs at least one redirect URI")
    return {
        "client_id": client_id,
        "secret_hash": secret_hash or None,
        "allowed_scopes": sorted(set(allowed_scopes)),
        "grant_types": sorted(set(grant_types)),
        "name": name,
        "token_endpoint_auth_method": token_endpoint_auth_method,
        "post_logout_redirect_uris": sorted(set(post_logout_redirect_uris)) or None,
        "redirect_uris": sorted(set(redirect_uris)) or None,
        # stored only when set, so clients registered before these existed read the same
        "third_party": True if third_party else None,
        "require_pkce": True if require_pkce else None,
    }


def create(table: str, *, client_id: str, secret_hash: str, allowed_scopes, grant_types, name: str = "",
           token_endpoint_auth_method: str = "client_secret_basic", post_logout_redirect_uris=(), redirect_uris=(),
           third_party: bool = False, require_pkce: bool = False) -> Client:
    record = _record(client_id, secret_hash, allowed_scopes, grant_types, name, token_endpoint_auth_method,
                     post_logout_redirect_uris, redirect_uris, third_party, require_pkce)
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
                     client.third_party, client.require_pkce)
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
