"""Fixes to the AWS emulator (moto) where it differs from AWS in a way our tests would notice."""

from __future__ import annotations

import copy
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


_backing_up_touched_items = threading.local()


def back_up_only_the_items_a_transaction_touches() -> None:
    """Make moto's TransactWriteItems cost what DynamoDB's does: the items it names, not the whole table.

    To roll back a cancelled transaction moto deep-copies every table it writes to, on every call: O(table) per
    transaction, so importing n users one transaction each costs O(n²) (minutes for a few thousand users, days for
    100,000), which DynamoDB does not. This keeps moto's transaction as it is (its checks, writes and errors) and
    replaces only its backup: a copy of each item the transaction names, put back if it is cancelled. Items are
    applied under serialise_dynamodb_item_operations' lock, so nothing else writes between the backup and the
    rollback. Idempotent."""
    from moto.dynamodb.models.table import Table

    operation = DynamoDBBackend.transact_write_items
    if getattr(operation, "_backs_up_items", False):
        return
    original_deepcopy = getattr(Table, "__deepcopy__", None)

    def table_deepcopy(self, memo):
        if getattr(_backing_up_touched_items, "active", False):
            return self  # the backup below replaces moto's copy of the table
        if original_deepcopy is not None:
            return original_deepcopy(self, memo)
        clone = Table.__new__(Table)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            setattr(clone, name, copy.deepcopy(value, memo))
        return clone

    @functools.wraps(operation)
    def transact_write_items(self, transact_items, *args, **kwargs):
        with _lock:
            touched = []
            for entry in transact_items:
                _, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                key = op.get("Key") or {name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr)
                                        if name}
                current = self.get_item(op["TableName"], key)
                touched.append((op["TableName"], key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
            _backing_up_touched_items.active = True
            try:
                return operation(self, transact_items, *args, **kwargs)
            except Exception:
                for table_name, key, attributes in touched:
                    if attributes is None:
                        if self.get_item(table_name, key) is not None:
                            self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, attributes)
                raise
            finally:
                _backing_up_touched_items.active = False

    transact_write_items._backs_up_items = True
    Table.__deepcopy__ = table_deepcopy
    DynamoDBBackend.transact_write_items = transact_write_items


def follow_awscurrent_moves() -> None:
    """Make moto's Secrets Manager treat the version AWSCURRENT was moved to as the current one.

    moto keeps its own idea of the current version (`default_version_id`) and update_secret_version_stage does not
    change it, so after a rotation's finishSecret the next put_secret_value labels its new version AWSCURRENT and
    leaves the label on the rotated version too: two versions AWSCURRENT, and reads get the older. In AWS a label is
    on one version only. This is the only change: a move of AWSCURRENT also moves moto's idea. Idempotent."""
    from moto.secretsmanager.models import SecretsManagerBackend

    operation = SecretsManagerBackend.update_secret_version_stage
    if getattr(operation, "_follows_awscurrent", False):
        return

    @functools.wraps(operation)
    def update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id):
        result = operation(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == "AWSCURRENT" and move_to_version_id:
            self.secrets[secret_id].default_version_id = move_to_version_id
        return result

    update_secret_version_stage._follows_awscurrent = True
    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage


def fix_moto() -> None:
    """Every change above, and the faithful KMS fake (oidc_tools.local.faithful_kms). Idempotent."""
    from oidc_tools.local import faithful_kms

    serialise_dynamodb_item_operations()
    back_up_only_the_items_a_transaction_touches()
    follow_awscurrent_moves()
    faithful_kms.install()
