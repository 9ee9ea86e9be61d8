"""Small helpers over the low-level DynamoDB client (lighter to load than boto3.resource at cold start)."""

from __future__ import annotations

from decimal import Decimal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

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
