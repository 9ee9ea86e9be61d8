"""Small helpers over the low-level DynamoDB client (lighter to load than boto3.resource at cold start)."""

from __future__ import annotations

from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.errors import DependencyUnavailable

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict) -> dict:
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def from_item(item: dict) -> dict:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _plain(value):
    # DynamoDB numbers come back as Decimal; our numbers are whole (epoch seconds, flags).
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(inner) for inner in value]
    return value


# DynamoDB may leave keys unprocessed under load; each retry is a round trip, so a few are enough before a 503.
_BATCH_GET_ATTEMPTS = 4


def get_items(wanted: dict[str, tuple[str, dict]]) -> dict[str, dict | None]:
    """Strongly consistent reads of several items, in one BatchGetItem round trip (more only if DynamoDB leaves keys
    unprocessed). `wanted` names each item: name -> (table, key). Returns name -> plain record, or None if absent."""
    found: dict[str, dict | None] = dict.fromkeys(wanted)
    if not wanted:
        return found
    names_by_key: dict[tuple[str, str], list[str]] = {}
    requests: dict[str, dict] = {}
    for name, (table, key) in wanted.items():
        identity = (table, _key_identity(key))
        if identity not in names_by_key:
            requests.setdefault(table, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
        names_by_key.setdefault(identity, []).append(name)
    for _ in range(_BATCH_GET_ATTEMPTS):
        with aws.dependency("dynamodb"):
            answer = aws.client("dynamodb").batch_get_item(RequestItems=requests)
        for table, items in answer.get("Responses", {}).items():
            key_names = [name for name in requests[table]["Keys"][0]]
            for item in items:
                identity = (table, _key_identity({name: item[name] for name in key_names}))
                for name in names_by_key.get(identity, []):
                    found[name] = from_item(item)
        requests = answer.get("UnprocessedKeys") or {}
        if not requests:
            return found
    raise DependencyUnavailable("dynamodb")  # still unprocessed: throttled, so retry later


def _key_identity(key: dict) -> str:
    return repr(sorted((name, tuple(value.items())) for name, value in key.items()))


def condition_failed(error: ClientError) -> bool:
    """Whether a write was refused by its ConditionExpression (the answer a conditional write exists to give)."""
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"
