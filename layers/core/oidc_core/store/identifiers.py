"""Login identifiers: which one a request names, and the normal form under which a user is stored and found.

Usernames and emails are compared in Unicode's NFKC case-folded form (NFKC_Casefold), so `ａｌｉｃｅ`, `ALICE` and
`alice` are one account. Text with control, format (zero-width), private-use or unassigned characters is refused
when a user is created and matches nobody at login: such characters make two identifiers that look the same.
Phone numbers are E.164 with ASCII digits only, so one number cannot be written two ways by two users.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LOGIN_IDENTIFIER_KINDS = ("username", "email", "phone")
# Authing's `account`: one field that may hold any of the three.
ACCOUNT = "account"

# Longer than any real identifier, and well inside DynamoDB's key size limit (checked after normalising, which may
# lengthen text: 'İ' case-folds to two characters).
MAX_IDENTIFIER_LENGTH = 320

_PHONE_PUNCTUATION = re.compile(r"[ \-().]")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # fullmatch: `$` would let a trailing newline through
# Control, format, surrogate, private use, unassigned.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


class UnusableIdentifier(ValueError):
    """An identifier that cannot be given to a user (refused characters, not a phone number, too long)."""


@dataclass(frozen=True)
class LoginIdentifier:
    kind: str  # one of LOGIN_IDENTIFIER_KINDS
    value: str  # normalised; "" when the value cannot name anybody (e.g. not a phone number)

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.value}"


def _folded_text(text: str) -> str:
    """NFKC_Casefold of the trimmed text, or "" if it holds a refused character or is too long."""
    # Trimmed last: NFKC can turn a character into a space and a combining mark ('¨' becomes ' \u0308').
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).strip()
    if len(folded) > MAX_IDENTIFIER_LENGTH or any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in folded):
        return ""
    return folded


def normalise_username(username: str) -> str:
    return _folded_text(username)


def normalise_email(email: str) -> str:
    return _folded_text(email)


def normalise_phone(phone: str, default_country_code: str) -> str:
    """E.164: '+86 138-0013-8000', '008613800138000' and '13800138000' (default +86) all become '+8613800138000'.

    Returns "" for something that is not a phone number in ASCII digits, so it matches nobody.
    """
    compact = _PHONE_PUNCTUATION.sub("", phone.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif not compact.startswith("+"):
        compact = default_country_code + compact.lstrip("0")
    return compact if _E164.fullmatch(compact) else ""


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


def identifier_for_new_user(kind: str, value: str, default_country_code: str) -> LoginIdentifier:
    """As normalise(), but an identifier that could name nobody is refused with the reason."""
    identifier = normalise(kind, value, default_country_code)
    if not identifier.value:
        if kind == "phone":
            raise UnusableIdentifier(f"not a phone number (ASCII digits, E.164): {value!r}")
        raise UnusableIdentifier(f"a {kind} may not hold control, zero-width, private-use or unassigned characters, "
                                 f"nor be longer than {MAX_IDENTIFIER_LENGTH} characters: {value!r}")
    return identifier


def account_candidates(value: str, default_country_code: str) -> list[LoginIdentifier]:
    """The identifiers an `account` value may be, in the order they win: with an '@' it is an email; otherwise a phone
    number if it reads as one and some user has it, else a username. Which candidates there are depends on the
    value alone, never on who exists, so the lookups (all candidates, read together) are the same work either way."""
    if "@" in value:
        return [normalise("email", value, default_country_code)]
    phone = normalise("phone", value, default_country_code)
    return ([phone] if phone.value else []) + [normalise("username", value, default_country_code)]
