"""Passkeys (WebAuthn credentials) in the users table.

    passkey#<credential id, base64url>  sub, user_handle, public_key (COSE), sign_count, backup_eligible, backup_state,
                                        transports, aaguid, user_verified, created_at, last_used_at
    passkeys#<sub>                      user_handle (the WebAuthn user.id of this user), credential_ids (a string set)

A credential is found by its id in one read, as a sign-in with a discoverable passkey needs (the browser names the
credential, not the user); the per-user item lists a user's passkeys and holds the user handle every one of them
shares, random rather than the sub (WebAuthn §14.6.1: no personal data in it; a sub may be an email or 255 chars,
a user handle at most 64 bytes). Both are written in one transaction, the credential only if its id is new: a
credential id belongs to one user (WebAuthn §7.1 step 22).

A use moves the sign counter forward in a conditional write (WebAuthn §6.1.1): of two assertions racing with the
same counter, one passes; a counter that did not grow, while either is non-zero, is a possibly cloned authenticator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.store.dynamo import get_items, to_item


def passkey_key(credential_id: str) -> dict:
    return {"pk": {"S": f"passkey#{credential_id}"}}


def user_passkeys_key(sub: str) -> dict:
    return {"pk": {"S": f"passkeys#{sub}"}}


@dataclass(frozen=True)
class Passkey:
    credential_id: str  # base64url, as WebAuthn's JSON carries it
    sub: str
    user_handle: bytes
    public_key: bytes
    sign_count: int
    backup_eligible: bool
    backup_state: bool
    transports: tuple[str, ...] = ()
    aaguid: str = ""
    user_verified: bool = False
    created_at: int = 0
    last_used_at: int = 0

    def record(self) -> dict:
        return {"pk": f"passkey#{self.credential_id}", "credential_id": self.credential_id, "sub": self.sub,
                "user_handle": self.user_handle, "public_key": self.public_key, "sign_count": self.sign_count,
                "backup_eligible": self.backup_eligible, "backup_state": self.backup_state,
                "transports": list(self.transports), "aaguid": self.aaguid, "user_verified": self.user_verified,
                "created_at": self.created_at, "last_used_at": self.last_used_at}

    @classmethod
    def from_record(cls, record: dict) -> Passkey:
        return cls(
            credential_id=record["credential_id"], sub=record["sub"], user_handle=_bytes(record["user_handle"]),
            public_key=_bytes(record["public_key"]), sign_count=int(record.get("sign_count", 0)),
            backup_eligible=bool(record.get("backup_eligible")), backup_state=bool(record.get("backup_state")),
            transports=tuple(record.get("transports", ())), aaguid=record.get("aaguid", ""),
            user_verified=bool(record.get("user_verified")), created_at=int(record.get("created_at", 0)),
            last_used_at=int(record.get("last_used_at", 0)))


def _bytes(value) -> bytes:
    return bytes(value.value if hasattr(value, "value") else value)


def _cancelled(error: ClientError) -> bool:
    return error.response["Error"]["Code"] in ("TransactionCanceledException", "ConditionalCheckFailedException")


def user_handle_of(table: str, sub: str) -> bytes | None:
    """The user's WebAuthn user handle, None before the first passkey."""
    found = get_items({"index": (table, user_passkeys_key(sub))})["index"]
    return _bytes(found["user_handle"]) if found and "user_handle" in found else None


def add(table: str, passkey: Passkey) -> bool:
    """Store a newly registered passkey; False when its credential id is taken, or the user's handle is not the one
    the registration was made for."""
    index = {"TableName": table, "Key": user_passkeys_key(passkey.sub),
             "UpdateExpression": "SET user_handle = if_not_exists(user_handle, :handle), #sub = :sub "
                                 "ADD credential_ids :ids",
             "ConditionExpression": "attribute_not_exists(user_handle) OR user_handle = :handle",
             "ExpressionAttributeNames": {"#sub": "sub"},
             "ExpressionAttributeValues": to_item({":handle": passkey.user_handle, ":sub": passkey.sub,
                                                   ":ids": {passkey.credential_id}})}
    credential = {"TableName": table, "Item": to_item(passkey.record()),
                  "ConditionExpression": "attribute_not_exists(pk)"}
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=[{"Put": credential}, {"Update": index}])
        except ClientError as error:
            if _cancelled(error):
                return False
            raise
    return True


def find(table: str, credential_id: str) -> Passkey | None:
    found = get_items({"passkey": (table, passkey_key(credential_id))})["passkey"]
    return Passkey.from_record(found) if found else None


def list_for(table: str, sub: str) -> list[Passkey]:
    """The user's passkeys, oldest first: two round trips (the list, then the credentials in one batch)."""
    index = get_items({"index": (table, user_passkeys_key(sub))})["index"]
    ids = sorted(index.get("credential_ids", ())) if index else []
    found = get_items({credential_id: (table, passkey_key(credential_id)) for credential_id in ids})
    passkeys = [Passkey.from_record(record) for record in found.values() if record and record.get("sub") == sub]
    return sorted(passkeys, key=lambda passkey: (passkey.created_at, passkey.credential_id))


def record_use(table: str, passkey: Passkey, new_sign_count: int, backup_state: bool, now: int | None = None) -> bool:
    """Move the counter on from the value the assertion was checked against; False if another use moved it first,
    or the passkey was removed meanwhile. A counter that stays 0 is an authenticator without one (allowed); any
    other counter must grow."""
    condition = "#sub = :sub AND " + ("sign_count = :count" if new_sign_count == 0 else "sign_count < :count")
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(
                TableName=table, Key=passkey_key(passkey.credential_id),
                UpdateExpression="SET sign_count = :count, backup_state = :backed_up, last_used_at = :now",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#sub": "sub"},
                ExpressionAttributeValues=to_item({":count": new_sign_count, ":backed_up": backup_state,
                                                   ":sub": passkey.sub,
                                                   ":now": int(time.time()) if now is None else now}))
        except ClientError as error:
            if _cancelled(error):
                return False
            raise
    return True


def remove(table: str, sub: str, credential_id: str) -> bool:
    """Remove one of the user's passkeys; False if it is not theirs (or already gone)."""
    credential = {"TableName": table, "Key": passkey_key(credential_id), "ConditionExpression": "#sub = :sub",
                  "ExpressionAttributeNames": {"#sub": "sub"}, "ExpressionAttributeValues": to_item({":sub": sub})}
    index = {"TableName": table, "Key": user_passkeys_key(sub), "UpdateExpression": "DELETE credential_ids :ids",
             "ExpressionAttributeValues": to_item({":ids": {credential_id}})}
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=[{"Delete": credential}, {"Update": index}])
        except ClientError as error:
            if _cancelled(error):
                return False
            raise
    return True


def remove_all(table: str, sub: str) -> int:
    """The help desk's reset: every passkey of the user, and its list; how many there were."""
    passkeys = list_for(table, sub)
    for passkey in passkeys:
        remove(table, sub, passkey.credential_id)
    with aws.dependency("dynamodb"):
        aws.client("dynamodb").delete_item(TableName=table, Key=user_passkeys_key(sub))
    return len(passkeys)

