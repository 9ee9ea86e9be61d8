"""OAuth clients in the clients table (`client_id` is the key); secrets are stored as Argon2id hashes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.dynamo import from_item, to_item


class ClientExists(Exception):
    """A client with this client_id is already registered."""


@dataclass(frozen=True)
class Client:
    client_id: str
    secret_hash: str
    allowed_scopes: frozenset[str]
    grant_types: frozenset[str]
    name: str = ""

    @classmethod
    def from_record(cls, record: dict) -> Client:
        return cls(
            client_id=record["client_id"],
            secret_hash=record.get("secret_hash", ""),
            allowed_scopes=frozenset(record.get("allowed_scopes", [])),
            grant_types=frozenset(record.get("grant_types", [])),
            name=record.get("name", ""),
        )


def find(table: str, client_id: str) -> Client | None:
    with aws.dependency("dynamodb"):
        found = aws.client("dynamodb").get_item(
            TableName=table, Key={"client_id": {"S": client_id}}, ConsistentRead=True
        )
    return Client.from_record(from_item(found["Item"])) if "Item" in found else None


def create(table: str, *, client_id: str, secret_hash: str, allowed_scopes, grant_types, name: str = "") -> Client:
    record = {
        "client_id": client_id,
        "secret_hash": secret_hash,
        "allowed_scopes": sorted(set(allowed_scopes)),
        "grant_types": sorted(set(grant_types)),
        "name": name,
        "created_at": int(time.time()),
    }
    try:
        aws.client("dynamodb").put_item(
            TableName=table, Item=to_item(record), ConditionExpression="attribute_not_exists(client_id)"
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise ClientExists(f"client {client_id!r} already exists") from None
        raise
    return Client.from_record(record)
