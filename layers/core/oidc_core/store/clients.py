"""OAuth clients in the clients table (`client_id` is the key); secrets are stored as Argon2id hashes.

A client is confidential (token_endpoint_auth_method client_secret_basic or client_secret_post: it holds a secret) or
public (`none`: a browser or mobile app that cannot keep one, identified by its client_id alone).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.store.dynamo import from_item, to_item

CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
PUBLIC_AUTH_METHOD = "none"
AUTH_METHODS = (*CONFIDENTIAL_AUTH_METHODS, PUBLIC_AUTH_METHOD)


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
        )


def client_key(client_id: str) -> dict:
    return {"client_id": {"S": client_id}}


def find(table: str, client_id: str) -> Client | None:
    with aws.dependency("dynamodb"):
        found = aws.client("dynamodb").get_item(TableName=table, Key=client_key(client_id), ConsistentRead=True)
    return Client.from_record(from_item(found["Item"])) if "Item" in found else None


def _record(client_id: str, secret_hash: str, allowed_scopes, grant_types, name: str, token_endpoint_auth_method: str,
            post_logout_redirect_uris) -> dict:
    if token_endpoint_auth_method not in AUTH_METHODS:
        raise ValueError(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}")
    if (token_endpoint_auth_method == PUBLIC_AUTH_METHOD) != (not secret_hash):
        raise ValueError("a public client (none) has no secret, and a confidential client needs one")
    if token_endpoint_auth_method == PUBLIC_AUTH_METHOD and "client_credentials" in grant_types:
        raise ValueError("a public client cannot use the client_credentials grant: it has no secret to prove who it is")
    return {
        "client_id": client_id,
        "secret_hash": secret_hash or None,
        "allowed_scopes": sorted(set(allowed_scopes)),
        "grant_types": sorted(set(grant_types)),
        "name": name,
        "token_endpoint_auth_method": token_endpoint_auth_method,
        "post_logout_redirect_uris": sorted(set(post_logout_redirect_uris)) or None,
    }


def create(table: str, *, client_id: str, secret_hash: str, allowed_scopes, grant_types, name: str = "",
           token_endpoint_auth_method: str = "client_secret_basic", post_logout_redirect_uris=()) -> Client:
    record = _record(client_id, secret_hash, allowed_scopes, grant_types, name, token_endpoint_auth_method,
                     post_logout_redirect_uris)
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
                     client.token_endpoint_auth_method, client.post_logout_redirect_uris)
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
