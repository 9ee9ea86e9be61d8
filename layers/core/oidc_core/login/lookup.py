"""Which user a login names, for every path that takes an identifier (the password grant, Authing's sign-in, the
login page): the identifiers' items, read in the same round trip as the client, and the first of them some user has.
An `account` may stand for several identifiers (a phone number some user has, else a username: the rule of
/api/v3/signin), so both take the list in the order the rule gives."""

from __future__ import annotations

from oidc_core.config import Settings
from oidc_core.store import users
from oidc_core.store.identifiers import LoginIdentifier


def _read_name(identifier: LoginIdentifier) -> str:
    return f"identifier:{identifier.key}"


def identifier_reads(identifiers: list[LoginIdentifier], settings: Settings) -> dict:
    """The items to read with the client (store.dynamo.get_items), one per identifier that could name somebody."""
    return {_read_name(identifier): (settings.users_table, users.identifier_key(identifier))
            for identifier in identifiers if identifier.value}


def first_known(identifiers: list[LoginIdentifier], found: dict) -> tuple[LoginIdentifier, dict | None]:
    """The first identifier some user has, with its item; else the first one, which names the account that locks
    (so failures against an unknown identifier count as they do against a known one)."""
    for identifier in identifiers:
        pointer = found.get(_read_name(identifier)) if identifier.value else None
        if pointer:
            return identifier, pointer
    return identifiers[0], None
