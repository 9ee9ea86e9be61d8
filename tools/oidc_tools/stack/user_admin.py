"""What oidc-admin does to users beyond creating them: list, show, update and delete.

A user is one item (`user#<sub>`) and an item per login identifier pointing at it (store/users.py); every change
here that touches an identifier writes them together in one transaction, so an identifier still belongs to at most
one user and a deleted user's identifiers are free at once. What is shown never holds a password hash."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.store import users
from oidc_core.store.dynamo import to_item
from oidc_core.store.identifiers import LoginIdentifier, identifier_for_new_user, normalise
from oidc_tools.stack import sessions
from oidc_tools.stack.listing import scan_page
from oidc_tools.stack.operations import Target

# The record field of each login identifier kind
IDENTIFIER_FIELDS = {"username": "username", "email": "email", "phone": "phone_number"}


def check_email(email: str) -> None:
    """ValueError for what cannot be an email address: one '@' between a local part and a domain with a dot, no
    spaces. Deliberately loose (internationalised addresses pass): the mail server has the last word."""
    local, at, domain = email.strip().rpartition("@")
    if (not at or not local or "@" in local or any(character.isspace() for character in email.strip())
            or "." not in domain.strip(".") or domain.startswith(".") or domain.endswith(".") or ".." in domain):
        raise ValueError(f"not an email address: {email!r}")


def _utc(unix_time: int) -> str | None:
    return datetime.fromtimestamp(unix_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if unix_time else None


def view(user: users.User) -> dict:
    """The user as an operator sees it: identifiers, flags and profile, whether a password is set; never its hash."""
    return {"sub": user.sub, "username": user.username, "email": user.email, "email_verified": user.email_verified,
            "phone_number": user.phone_number, "phone_number_verified": user.phone_number_verified,
            "blocked": user.blocked, "has_password": bool(user.password_hash), "address": user.address,
            **user.profile, "updated_at": _utc(user.updated_at)}


def list_users(target: Target, limit: int, after: str | None = None) -> dict:
    records, next_sub = scan_page(target.users_table, "pk", limit=limit, after=after, key_prefix="user#")
    return {"users": [view(users.User.from_record(record)) for record in records], "next": next_sub}


def _identifier_of(target: Target, kind: str, value: str | None) -> LoginIdentifier | None:
    return normalise(kind, value, target.default_phone_country_code) if value else None


def _free_identifier(table: str, identifier: LoginIdentifier, sub: str) -> dict:
    # Only the user's own pointer is removed: a key another user holds fails the transaction instead.
    return {"Delete": {"TableName": table, "Key": users.identifier_key(identifier),
                       "ConditionExpression": "attribute_not_exists(pk) OR #sub = :sub",
                       "ExpressionAttributeNames": {"#sub": "sub"}, "ExpressionAttributeValues": {":sub": {"S": sub}}}}


def _claim_identifier(table: str, identifier: LoginIdentifier, sub: str) -> dict:
    return {"Put": {"TableName": table, "Item": {"pk": {"S": identifier.key}, "sub": {"S": sub}},
                    "ConditionExpression": "attribute_not_exists(pk)"}}


def _transact(writes: list[dict], taken: list[LoginIdentifier], table: str, sub: str) -> None:
    try:
        aws.client("dynamodb").transact_write_items(TransactItems=writes)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        for identifier in taken:
            holder = users.find_by_login(table, identifier)
            if holder is not None and holder.sub != sub:
                raise users.IdentifierTaken(f"the {identifier.kind} belongs to another user already") from None
        raise ValueError(f"user {sub!r} changed while this ran, or is gone: run the command again") from None


def _identifier_changes(target: Target, user: users.User, wanted: dict[str, str | None]):
    """The transaction's identifier writes, the record's new values, the identifiers claimed and the kinds that
    moved to another identifier (not those only written otherwise: Alice and alice are one username)."""
    writes, fields, claimed, moved = [], {}, [], set()
    for kind, value in wanted.items():
        field = IDENTIFIER_FIELDS[kind]
        old = _identifier_of(target, kind, getattr(user, field))
        new = identifier_for_new_user(kind, value, target.default_phone_country_code) if value else None
        fields[field] = (new.value if kind == "phone" else value.strip() if kind == "email" else value) if new else None
        if old == new:
            continue
        moved.add(kind)
        if new is not None:
            writes.append(_claim_identifier(target.users_table, new, user.sub))
            claimed.append(new)
        if old is not None:
            writes.append(_free_identifier(target.users_table, old, user.sub))
    return writes, fields, claimed, moved


def update_user(target: Target, user: users.User, *, identifiers: dict[str, str | None], flags: dict[str, bool],
                profile: dict[str, str | None]) -> users.User:
    """Change login identifiers ("" or None in `identifiers` removes one; one must remain), the verified flags and
    profile fields (None removes one). A changed email or phone is unverified unless `flags` says otherwise."""
    if "email" in identifiers and identifiers["email"]:
        check_email(identifiers["email"])
    writes, fields, claimed, moved = _identifier_changes(target, user, identifiers)
    remaining = {IDENTIFIER_FIELDS[kind]: getattr(user, IDENTIFIER_FIELDS[kind]) for kind in IDENTIFIER_FIELDS}
    if not any({**remaining, **fields}.values()):
        raise ValueError("a user needs a username, an email or a phone number to log in with")
    for kind, flag in (("email", "email_verified"), ("phone", "phone_number_verified")):
        if kind in moved:  # a new address, not proven yet
            flags.setdefault(flag, False)
    changes = {**fields, **flags, **profile, "updated_at": int(time.time())}
    kept = {name: value for name, value in changes.items() if value is not None}
    removed = [name for name, value in changes.items() if value is None]
    expression = "SET " + ", ".join(f"#{name} = :{name}" for name in kept)
    if removed:
        expression += " REMOVE " + ", ".join(f"#{name}" for name in removed)
    writes.insert(0, {"Update": {
        "TableName": target.users_table, "Key": users.user_key(user.sub), "UpdateExpression": expression,
        # unchanged since it was read: an identifier read then is the one freed now
        "ConditionExpression": "attribute_exists(pk) AND " + (
            "updated_at = :was" if user.updated_at else "(attribute_not_exists(updated_at) OR updated_at = :was)"),
        "ExpressionAttributeNames": {f"#{name}": name for name in [*kept, *removed]},
        "ExpressionAttributeValues": to_item({**{f":{name}": value for name, value in kept.items()},
                                              ":was": user.updated_at})}})
    _transact(writes, claimed, target.users_table, user.sub)
    return users.find_by_sub(target.users_table, user.sub)


def delete_user(target: Target, user: users.User) -> dict:
    """Delete the user and its identifiers in one transaction (they are free at once), then revoke its refresh token
    families, end its browser sessions and forget its consents."""
    identifiers = [identifier for kind, field in IDENTIFIER_FIELDS.items()
                   if (identifier := _identifier_of(target, kind, getattr(user, field))) and identifier.value]
    writes = [{"Delete": {"TableName": target.users_table, "Key": users.user_key(user.sub),
                          "ConditionExpression": "attribute_exists(pk)"}},
              *(_free_identifier(target.users_table, identifier, user.sub) for identifier in identifiers)]
    _transact(writes, [], target.users_table, user.sub)
    ended = sessions.end_user_sessions(target.tokens_table, user.sub, "user deleted")
    return {"sub": user.sub, "deleted": True, "identifiers_freed": [identifier.kind for identifier in identifiers],
            **ended}
