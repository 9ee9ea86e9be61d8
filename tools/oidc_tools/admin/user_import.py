"""`oidc-admin users import`: users brought from another system, with their password hashes and their ids as `sub`.

One reader per format (import_formats.py) turns the source's file, as its own tools write it, into our user
fields:
- native: JSON Lines of our own user fields (`sub`, `username`, `email`, `phone_number`, the OIDC profile claims…)
  with `password_hash` in any scheme oidc_core.passwords.imported reads (Argon2id PHC strings included);
- auth0: Auth0's bulk-import JSON array (`user_id`, `password_hash` in bcrypt or `custom_password_hash`);
- keycloak: a realm export (`users[]` with `credentials[]` of type password: `secretData` and `credentialData`);
- firebase: `firebase auth:export` JSON, with the project's hash parameters given on the command line;
- authing: Authing's user objects as its management API lists them; they carry no password, so these users wait for
  their first login, which asks the upstream (oidc_core/login/upstream.py) and keeps the password it confirms.

Writes: one TransactWriteItems per user (the user item and one item per login identifier, each only if its key is
free), several users in parallel threads. Not BatchWriteItem: it cannot be conditional, so a second user with an email
someone already has would silently take the identifier item over. A row whose sub is in the table already is skipped
(or, with --on-conflict update, updated), so a re-run of the same file changes nothing; two rows of one file that
share a sub or an identifier are caught before any write, the later one refused. Throttling and transaction conflicts
are retried with exponential backoff. The report counts imported, updated, skipped and refused rows and gives each
refusal with its place in the file and the reason: never a password hash.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.passwords import imported
from oidc_core.passwords.imported import UnusableHash
from oidc_core.store import users
from oidc_core.store.dynamo import from_item, to_item
from oidc_core.store.identifiers import UnusableIdentifier, normalise
from oidc_tools.admin.import_formats import FORMATS, READERS, Refused, items_of, read_text
from oidc_tools.stack.operations import Target

WORKERS = 16
_MAX_ATTEMPTS = 8
_RETRYABLE = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded",
              "ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError"}


@dataclass
class Row:
    where: str  # "line 3", "users[7]": where the row is in the file
    source_id: str | None = None
    fields: dict | None = None  # new_user's arguments; None when refused
    reason: str | None = None


@dataclass
class Report:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    refused: list = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        in_file_order = sorted(self.refused, key=lambda refusal: refusal["order"])
        return {"dry_run": self.dry_run, "imported": self.imported, "updated": self.updated, "skipped": self.skipped,
                "refused": len(self.refused),
                "refusals": [{name: value for name, value in refusal.items() if name != "order"}
                             for refusal in in_file_order]}


def read_rows(text: str, source_format: str, target: Target, options: dict | None = None) -> list[Row]:
    """Every user of the file, converted and checked (sub, identifiers, hash and its cost), or refused with why."""
    rows = []
    for where, item in items_of(text, source_format):
        row = Row(where)
        try:
            if not isinstance(item, dict):
                raise Refused("not a JSON object")
            row.source_id, fields = READERS[source_format](item, options or {})
            if not row.source_id:
                raise Refused("no user id (it becomes the sub)")
            if fields["password_hash"]:
                imported.check_importable(fields["password_hash"], target)
            fields["origin"] = {"imported_from": source_format}
            row.fields = fields
            users.new_user(default_country_code=target.default_phone_country_code, sub=row.source_id, **fields)
        except (Refused, UnusableHash, UnusableIdentifier, ValueError) as error:
            row.fields, row.reason = None, str(error)
        rows.append(row)
    return rows


# -- writing ---------------------------------------------------------------------------------------------------------

def _cancellation_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _transact(writes: list[dict]) -> list[str] | None:
    """None when written; the cancellation codes when a condition failed. Retries what DynamoDB asks to retry."""
    for attempt in range(_MAX_ATTEMPTS):
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=writes)
            return None
        except ClientError as error:
            code = error.response["Error"]["Code"]
            codes = _cancellation_codes(error) if code == "TransactionCanceledException" else [code]
            if "ConditionalCheckFailed" in codes or not set(codes) & _RETRYABLE or attempt == _MAX_ATTEMPTS - 1:
                if code == "TransactionCanceledException" and "ConditionalCheckFailed" in codes:
                    return codes
                raise
        time.sleep(min(2.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0))  # backoff with jitter
    raise AssertionError("unreachable")


def _identifier_keys(record: dict, country_code: str) -> set[str]:
    keys = set()
    for kind, name in (("username", "username"), ("email", "email"), ("phone", "phone_number")):
        if record.get(name):
            identifier = normalise(kind, record[name], country_code)
            if identifier.value:
                keys.add(identifier.key)
    return keys


_COMPARED = ("password_hash", "blocked", "username", "email", "email_verified", "phone_number", "phone_number_verified",
             "address", *users.PROFILE_FIELDS)


def _update(target: Target, new: users.NewUser) -> str:
    """--on-conflict update: the user with this sub takes the file's fields. A native Argon2id hash (the user logged in
    since, or was given a password here) is kept: the file's older hash never replaces it."""
    table = target.users_table
    found = aws.client("dynamodb").get_item(TableName=table, Key=users.user_key(new.sub), ConsistentRead=True)
    if "Item" not in found:
        raise Refused("the user disappeared during the import")
    existing = from_item(found["Item"])
    record = dict(new.record)
    if imported.is_native(existing.get("password_hash", "")) or not record["password_hash"]:
        record["password_hash"] = existing.get("password_hash", "")
    if all(existing.get(name) == record.get(name) for name in _COMPARED):
        return "skipped"
    kept = {name: value for name, value in existing.items()
            if name.startswith("session_epoch") or name in ("migrated_at", "imported_from")}
    if record["password_hash"] != existing.get("password_hash"):
        kept["session_epoch"] = int(existing.get("session_epoch", 0)) + 1  # a new password ends the old sessions
    record.update(kept)
    old_keys = _identifier_keys(existing, target.default_phone_country_code)
    new_keys = {identifier.key for identifier in new.identifiers}
    writes = [{"Put": {"TableName": table, "Item": to_item(record),
                       "ConditionExpression": "attribute_exists(pk) AND password_hash = :seen",
                       "ExpressionAttributeValues": to_item({":seen": existing.get("password_hash", "")})}}]
    writes += [{"Put": {"TableName": table, "Item": to_item({"pk": key, "sub": new.sub}),
                        "ConditionExpression": "attribute_not_exists(pk)"}} for key in sorted(new_keys - old_keys)]
    writes += [{"Delete": {"TableName": table, "Key": {"pk": {"S": key}}, "ConditionExpression": "#sub = :sub",
                           "ExpressionAttributeNames": {"#sub": "sub"},
                           "ExpressionAttributeValues": to_item({":sub": new.sub})}}
               for key in sorted(old_keys - new_keys)]
    codes = _transact(writes)
    if codes is None:
        return "updated"
    if codes[0] == "ConditionalCheckFailed":
        raise Refused("the user changed during the import (a login upgraded the password): run the import again")
    raise Refused("a username, email or phone number of this row belongs to another user")


def _write(target: Target, new: users.NewUser, on_conflict: str) -> str:
    codes = _transact(new.writes(target.users_table))
    if codes is None:
        return "imported"
    if codes[0] == "ConditionalCheckFailed":  # the sub is in the table already
        return "skipped" if on_conflict == "skip" else _update(target, new)
    kinds = [identifier.kind for identifier, code in zip(new.identifiers, codes[1:], strict=True)
             if code == "ConditionalCheckFailed"]
    raise _taken(kinds)


def _taken(kinds: list[str]) -> Refused:
    """"the email belongs…", "the username and email belong…": which identifiers another user holds already."""
    if not kinds:
        return Refused("an identifier of this row belongs to another user already")
    return Refused(f"the {' and '.join(kinds)} {'belongs' if len(kinds) == 1 else 'belong'} to another user already")


def _check_only(target: Target, new: users.NewUser, on_conflict: str) -> str:
    """--dry-run: what the write would do, by reading the keys it would write."""
    client = aws.client("dynamodb")
    if "Item" in client.get_item(TableName=target.users_table, Key=users.user_key(new.sub), ConsistentRead=True):
        return "skipped" if on_conflict == "skip" else "updated"
    taken = [identifier.kind for identifier in new.identifiers
             if "Item" in client.get_item(TableName=target.users_table, Key={"pk": {"S": identifier.key}},
                                          ConsistentRead=True)]
    if taken:
        raise _taken(taken)
    return "imported"


def import_users(target: Target, path: Path, source_format: str, *, dry_run: bool = False, on_conflict: str = "skip",
                 options: dict | None = None, progress: bool | None = None, workers: int = WORKERS) -> Report:
    from tqdm import tqdm

    if source_format not in FORMATS:
        raise ValueError(f"unknown format {source_format!r}: one of {', '.join(FORMATS)}")
    if on_conflict not in ("skip", "update"):
        raise ValueError("--on-conflict is skip or update")
    report = Report(dry_run=dry_run)
    rows = read_rows(read_text(path), source_format, target, options)
    order = {row.where: index for index, row in enumerate(rows)}

    def refuse(row: Row, reason: str) -> None:
        report.refused.append({"order": order[row.where], "where": row.where, "id": row.source_id, "reason": reason})

    # Two rows of one file that share a sub or an identifier: the later one is refused, whatever the threads do.
    claimed: dict[str, str] = {}
    to_write = []
    for row in rows:
        if row.fields is None:
            refuse(row, row.reason)
            continue
        new = users.new_user(default_country_code=target.default_phone_country_code, sub=row.source_id, **row.fields)
        keys = [new.record["pk"], *(identifier.key for identifier in new.identifiers)]
        clash = next((claimed[key] for key in keys if key in claimed), None)
        if clash:
            refuse(row, f"its id or an identifier is also in {clash} of this file")
            continue
        claimed.update({key: row.where for key in keys})
        to_write.append((row, new))

    lock = threading.Lock()
    with tqdm(total=len(rows), unit="user", disable=progress is False if progress is not None else None,
              initial=len(rows) - len(to_write)) as bar:
        def one(job):
            row, new = job
            try:
                outcome = (_check_only if dry_run else _write)(target, new, on_conflict)
            except Refused as refusal:
                with lock:
                    refuse(row, str(refusal))
            else:
                with lock:
                    setattr(report, outcome, getattr(report, outcome) + 1)
            bar.update(1)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, to_write))
    return report
