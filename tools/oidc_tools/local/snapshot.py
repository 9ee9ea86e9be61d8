"""`make dev PERSIST=1`: the emulated tables and secrets, written to a file when the local stack stops and put back
when it starts, so users, clients, keys and sessions outlive a restart.

The file holds every item of the tables template.yaml declares (DynamoDB JSON, binary values as base64) and the current
value of each of its secrets: password hashes and private keys, so it is written readable by its owner only.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oidc_tools import template as cfn

FORMAT = 1


class SnapshotError(Exception):
    """A snapshot that cannot be read or written, reported in one line."""


def _encode(value: dict) -> dict:
    """A DynamoDB attribute value as JSON can hold it: binary values (B, BS) become base64 text."""
    (kind, content), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(content).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(item).decode("ascii") for item in content]}
    if kind == "M":
        return {"M": {name: _encode(item) for name, item in content.items()}}
    if kind == "L":
        return {"L": [_encode(item) for item in content]}
    return value


def _decode(value: dict) -> dict:
    (kind, content), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(content)}
    if kind == "BS":
        return {"BS": [base64.b64decode(item) for item in content]}
    if kind == "M":
        return {"M": {name: _decode(item) for name, item in content.items()}}
    if kind == "L":
        return {"L": [_decode(item) for item in content]}
    return value


def _tables(template: dict) -> list[str]:
    return list(cfn.resources_of_type(template, "AWS::DynamoDB::Table"))


def _secrets(template: dict) -> list[str]:
    return list(cfn.resources_of_type(template, "AWS::SecretsManager::Secret"))


def save(template: dict, path: Path) -> None:
    """Write every item and secret value of the local stack (whose tables and secrets are named by their logical id)."""
    dynamodb, secretsmanager = boto3.client("dynamodb"), boto3.client("secretsmanager")
    try:
        tables = {}
        for table in _tables(template):
            items = []
            for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                items += [{name: _encode(value) for name, value in item.items()} for item in page["Items"]]
            tables[table] = items
        secrets = {secret: secretsmanager.get_secret_value(SecretId=secret, VersionStage="AWSCURRENT")["SecretString"]
                   for secret in _secrets(template)}
    except (BotoCoreError, ClientError) as error:
        raise SnapshotError(f"cannot read the emulated data to save it: {error}") from None
    document = {"format": FORMAT, "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "tables": tables, "secrets": secrets}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(document, file, indent=1, sort_keys=True)
        os.replace(partial, path)  # a stop cut short leaves the previous snapshot whole
    except OSError as error:
        raise SnapshotError(f"cannot write {path}: {error.strerror}") from None


def restore(template: dict, path: Path) -> dict[str, int]:
    """Put a saved snapshot back into freshly provisioned tables and secrets; returns the item count per table.
    Tables and secrets the template no longer declares are skipped."""
    try:
        document = json.loads(path.read_text())
        if document.get("format") != FORMAT:
            raise ValueError(f"format {document.get('format')!r}, expected {FORMAT}")
        tables, secrets = document["tables"], document["secrets"]
    except (OSError, ValueError, KeyError, AttributeError) as error:
        raise SnapshotError(f"cannot read {path}: {error}; move it away to start afresh") from None
    dynamodb, secretsmanager = boto3.client("dynamodb"), boto3.client("secretsmanager")
    counts = {}
    try:
        for table in _tables(template):
            for item in tables.get(table, []):
                dynamodb.put_item(TableName=table, Item={name: _decode(value) for name, value in item.items()})
            counts[table] = len(tables.get(table, []))
        for secret in _secrets(template):
            if secret in secrets:
                secretsmanager.put_secret_value(SecretId=secret, SecretString=secrets[secret])
    except (BotoCoreError, ClientError, ValueError, AttributeError) as error:
        raise SnapshotError(f"cannot restore {path}: {error}; move it away to start afresh") from None
    return counts
