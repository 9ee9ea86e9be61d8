"""Login identifiers: which one a request names, and the normal form under which a user is stored and found."""

from __future__ import annotations

import re
from dataclasses import dataclass

LOGIN_IDENTIFIER_KINDS = ("username", "email", "phone")

# Longer than any real identifier, and well inside DynamoDB's key size limit.
MAX_IDENTIFIER_LENGTH = 320

_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class LoginIdentifier:
    kind: str  # one of LOGIN_IDENTIFIER_KINDS
    value: str  # normalised; "" when the value cannot name anybody (e.g. not a phone number)

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.value}"


def normalise_username(username: str) -> str:
    return username.strip().lower()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str, default_country_code: str) -> str:
    """E.164: '+86 138-0013-8000', '008613800138000' and '13800138000' (default +86) all become '+8613800138000'.

    Returns "" for something that is not a phone number, so it matches nobody.
    """
    compact = _PHONE_PUNCTUATION.sub("", phone)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif not compact.startswith("+"):
        compact = default_country_code + compact.lstrip("0")
    return compact if _E164.match(compact) else ""


def normalise(kind: str, value: str, default_country_code: str) -> LoginIdentifier:
    if len(value) > MAX_IDENTIFIER_LENGTH:
        return LoginIdentifier(kind, "")
    if kind == "username":
        return LoginIdentifier(kind, normalise_username(value))
    if kind == "email":
        return LoginIdentifier(kind, normalise_email(value))
    if kind == "phone":
        return LoginIdentifier(kind, normalise_phone(value, default_country_code))
    raise ValueError(f"unknown login identifier kind {kind!r}")
