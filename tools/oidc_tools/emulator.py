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
    """Every change above, and the faithful KMS fake (oidc_tools.faithful_kms). Idempotent."""
    from oidc_tools import faithful_kms

    serialise_dynamodb_item_operations()
    follow_awscurrent_moves()
    faithful_kms.install()
