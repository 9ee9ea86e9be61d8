"""Users and their login identifiers in the users table.

One item per user (`pk = user#<sub>`) and one per login identifier (`pk = username#alice`, `email#a@b.c`,
`phone#+86…`) pointing at it, written together in a transaction so an identifier belongs to at most one user.
Login reads are strongly consistent: a password change or a block counts on the very next request.

Sessions (refresh-token families) end without touching them: a family remembers the user's `session_epoch` (and the
per-client `session_epoch#<client_id>`) from when it began, and every refresh compares. Signing out, changing the
password or blocking the user adds one to the epoch, so ending all of a user's sessions is one write, never a scan.
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.store.dynamo import from_item, to_item
from oidc_core.store.identifiers import LoginIdentifier, identifier_for_new_user

# Standard claims (OIDC Core §5.1) a user record may carry besides the identifiers.
PROFILE_FIELDS = (
    "name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture", "website",
    "gender", "birthdate", "zoneinfo", "locale",
)


# A sub is whatever id the user's source gave (Auth0 `auth0|5f7c…`, Firebase localIds, UUIDs): any text up to this
# length, which keeps every key and token that carries it within DynamoDB's and our own size limits.
MAX_SUB_LENGTH = 255
# The sub a login reads when its identifier names nobody (login/credentials.py): no user may have it, or a password
# login with any unknown identifier would be checked against that user's password.
NOBODY = "-"


def check_sub(sub: str) -> None:
    """ValueError for a sub no user may have: empty, too long, or with control or unpaired surrogate characters."""
    if not isinstance(sub, str) or not sub or len(sub) > MAX_SUB_LENGTH:
        raise ValueError(f"a sub is 1 to {MAX_SUB_LENGTH} characters")
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in sub):
        raise ValueError("a sub may not hold control characters")
    if sub == NOBODY:
        raise ValueError(f"the sub {NOBODY!r} is reserved")


class IdentifierTaken(Exception):
    """Another user already logs in with this username, email or phone."""


@dataclass
class User:
    sub: str
    password_hash: str
    blocked: bool = False
    username: str | None = None
    email: str | None = None
    email_verified: bool = False
    phone_number: str | None = None
    phone_number_verified: bool = False
    address: dict | None = None
    updated_at: int = 0
    profile: dict = field(default_factory=dict)
    session_epoch: int = 0
    client_session_epochs: dict = field(default_factory=dict)

    def session_epochs(self, client_id: str) -> tuple[int, int]:
        """(all clients, this client): a session that began under other numbers has been ended since."""
        return self.session_epoch, self.client_session_epochs.get(client_id, 0)

    @classmethod
    def from_record(cls, record: dict) -> User:
        return cls(
            sub=record["sub"],
            password_hash=record.get("password_hash", ""),
            blocked=bool(record.get("blocked", False)),
            username=record.get("username"),
            email=record.get("email"),
            email_verified=bool(record.get("email_verified", False)),
            phone_number=record.get("phone_number"),
            phone_number_verified=bool(record.get("phone_number_verified", False)),
            address=record.get("address"),
            updated_at=int(record.get("updated_at", 0)),
            profile={name: record[name] for name in PROFILE_FIELDS if name in record},
            session_epoch=int(record.get("session_epoch", 0)),
            client_session_epochs={
                name.removeprefix(_CLIENT_EPOCH_PREFIX): int(value)
                for name, value in record.items() if name.startswith(_CLIENT_EPOCH_PREFIX)
            },
        )


_CLIENT_EPOCH_PREFIX = "session_epoch#"



def user_key(sub: str) -> dict:
    return {"pk": {"S": f"user#{sub}"}}


def identifier_key(identifier: LoginIdentifier) -> dict:
    return {"pk": {"S": identifier.key}}


def find_by_login(table: str, identifier: LoginIdentifier) -> User | None:
    if not identifier.value:
        return None
    with aws.dependency("dynamodb"):
        pointer = aws.client("dynamodb").get_item(TableName=table, Key=identifier_key(identifier), ConsistentRead=True)
    return find_by_pointer(table, from_item(pointer["Item"]) if "Item" in pointer else None)


def find_by_pointer(table: str, pointer: dict | None) -> User | None:
    """The user an identifier item (read already, or None) points at."""
    return find_by_sub(table, pointer["sub"]) if pointer else None


def find_by_sub(table: str, sub: str) -> User | None:
    with aws.dependency("dynamodb"):
        found = aws.client("dynamodb").get_item(TableName=table, Key=user_key(sub), ConsistentRead=True)
    return User.from_record(from_item(found["Item"])) if "Item" in found else None


@dataclass(frozen=True)
class NewUser:
    """A user about to be written: the record and its login identifiers, checked."""

    record: dict
    identifiers: tuple[LoginIdentifier, ...]

    @property
    def sub(self) -> str:
        return self.record["sub"]

    def writes(self, table: str) -> list[dict]:
        """The transaction that creates the user: each item only if its key is free, so an identifier belongs to at
        most one user and a sub to one user (item 0 is the user, then the identifiers in order)."""
        items = [self.record, *({"pk": identifier.key, "sub": self.sub} for identifier in self.identifiers)]
        return [{"Put": {"TableName": table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}
                for item in items]


def new_user(
    *,
    password_hash: str,
    default_country_code: str,
    username: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    blocked: bool = False,
    email_verified: bool = False,
    phone_number_verified: bool = False,
    address: dict | None = None,
    profile: dict | None = None,
    sub: str | None = None,
    origin: dict | None = None,
) -> NewUser:
    """A new user's items; `sub` is given for a user brought from elsewhere, who keeps the source's id (else a UUID),
    and `origin` says where from (attributes kept on the record for `oidc-admin migration status`)."""
    if sub is not None:
        check_sub(sub)
    identifiers = [identifier_for_new_user(kind, value, default_country_code)
                   for kind, value in (("username", username), ("email", email), ("phone", phone)) if value]
    phone_number = next((identifier.value for identifier in identifiers if identifier.kind == "phone"), None)
    if not identifiers:
        raise ValueError("a user needs a username, an email or a phone number to log in with")
    unknown = set(profile or {}) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"unknown profile fields: {sorted(unknown)}")

    sub = sub or str(uuid.uuid4())
    record = {
        "pk": f"user#{sub}",
        "sub": sub,
        "password_hash": password_hash,
        "blocked": blocked,
        "username": username,
        "email": email.strip() if email else None,
        "email_verified": email_verified,
        "phone_number": phone_number,
        "phone_number_verified": phone_number_verified,
        "address": address,
        "updated_at": int(time.time()),
        **(profile or {}),
        **(origin or {}),
    }
    return NewUser(record, tuple(identifiers))


def create(table: str, **fields) -> User:
    """Create a user (the fields of new_user); IdentifierTaken when an identifier or the sub is someone's already."""
    user = new_user(**fields)
    try:
        aws.client("dynamodb").transact_write_items(TransactItems=user.writes(table))
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            raise IdentifierTaken("the username, email or phone number is already in use") from None
        raise
    return User.from_record(user.record)


def _update(table: str, sub: str, expression: str, values: dict, condition: str = "attribute_exists(pk)",
            names: dict | None = None) -> bool:
    """Apply an update; False when the condition does not hold (no such user, or it changed under us)."""
    with aws.dependency("dynamodb"):
        try:
            aws.client("dynamodb").update_item(
                TableName=table,
                Key=user_key(sub),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues=to_item(values),
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
    return True


def set_password_hash(table: str, sub: str, password_hash: str) -> bool:
    """A new password also ends every session that began with the old one."""
    return _update(table, sub, "SET password_hash = :hash, updated_at = :now ADD session_epoch :one",
                   {":hash": password_hash, ":now": int(time.time()), ":one": 1})


def upgrade_password_hash(table: str, sub: str, old_hash: str, new_hash: str) -> bool:
    """Replace a weaker hash after a successful login, unless the password changed in the meantime."""
    return _update(
        table, sub, "SET password_hash = :new", {":new": new_hash, ":old": old_hash},
        condition="attribute_exists(pk) AND password_hash = :old",
    )


def give_waiting_user_a_password(table: str, sub: str, password_hash: str) -> bool:
    """A user imported without a password (waiting for the lazy migration) takes the one the upstream confirmed;
    False if the user has one already."""
    return _update(table, sub, "SET password_hash = :hash, migrated_at = :now",
                   {":hash": password_hash, ":now": int(time.time()), ":none": ""},
                   condition="attribute_exists(pk) AND password_hash = :none")


def set_blocked(table: str, sub: str, blocked: bool) -> bool:
    """Blocking also ends the user's sessions, so unblocking later does not bring old refresh tokens back."""
    expression = "SET blocked = :blocked, updated_at = :now" + (" ADD session_epoch :one" if blocked else "")
    values = {":blocked": blocked, ":now": int(time.time()), **({":one": 1} if blocked else {})}
    return _update(table, sub, expression, values)


def end_sessions(table: str, sub: str, client_id: str | None = None) -> bool:
    """End the user's sessions: all of them, or those with one client (RP-initiated logout)."""
    name = _CLIENT_EPOCH_PREFIX + client_id if client_id else "session_epoch"
    return _update(table, sub, "ADD #epoch :one", {":one": 1}, names={"#epoch": name})
