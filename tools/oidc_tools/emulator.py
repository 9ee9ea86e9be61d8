"""Fixes to the AWS emulator (moto) where it differs from AWS in a way our tests would notice."""

from __future__ import annotations

import functools
import threading

from moto.dynamodb.models import DynamoDBBackend

_ITEM_OPERATIONS = ("get_item", "put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()


def serialise_dynamodb_item_operations() -> None:
    """Make moto's DynamoDB apply each item operation atomically, as DynamoDB does.

    moto evaluates a ConditionExpression and then writes, in Python, without a lock: two threads can both pass the
    same condition, so two conditional updates that DynamoDB would serialise both succeed. The refresh-token rotation
    relies on DynamoDB's guarantee (and its test proves it under parallel requests), so the emulator must give it.
    This is the only change: one lock around each operation on items. Idempotent."""
    for name in _ITEM_OPERATIONS:
        operation = getattr(DynamoDBBackend, name)
        if getattr(operation, "_serialised", False):
            continue

        @functools.wraps(operation)
        def serialised(self, *args, __operation=operation, **kwargs):
            with _lock:
                return __operation(self, *args, **kwargs)

        serialised._serialised = True
        setattr(DynamoDBBackend, name, serialised)
