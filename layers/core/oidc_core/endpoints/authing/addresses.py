"""The email address or phone number a v3 call names, in the normal form users are stored under, so a code sent to
`+86 138-0013-8000` is the code checked for `13800138000` with country code +86."""

from __future__ import annotations

from oidc_core.codes.channels import EMAIL, SMS
from oidc_core.config import Settings
from oidc_core.endpoints.authing.request import string_member
from oidc_core.errors import invalid_request
from oidc_core.store.identifiers import LoginIdentifier, normalise

# The identifier kind a medium's address is stored under in the users table.
KIND = {EMAIL: "email", SMS: "phone"}


def email_address(document: dict, name: str, where: str) -> LoginIdentifier:
    value = string_member(document, name, where)
    if not value:
        raise invalid_request(f"{where}.{name} is required")
    identifier = normalise("email", value, "")
    if not identifier.value:
        raise invalid_request("not an email address")
    return identifier


def phone_number(document: dict, name: str, where: str, settings: Settings) -> LoginIdentifier:
    """`phoneNumber` (or `phone`) with an optional `phoneCountryCode` (+86 when absent: the stack's default)."""
    value = string_member(document, name, where)
    if not value:
        raise invalid_request(f"{where}.{name} is required")
    country = string_member(document, "phoneCountryCode", where) or settings.default_phone_country_code
    if not value.strip().startswith(("+", "00")):
        value = country.strip() + value.strip().lstrip("0")
    identifier = normalise("phone", value, settings.default_phone_country_code)
    if not identifier.value:
        raise invalid_request("not a phone number in international format (E.164)")
    return identifier


def passcode_address(payload: dict, where: str, settings: Settings) -> tuple[str, LoginIdentifier]:
    """(medium, identifier) of a `passCodePayload`: exactly one of `email` and `phone`."""
    named = [name for name in ("email", "phone") if string_member(payload, name, where)]
    if len(named) != 1:
        raise invalid_request(f"{where} needs exactly one of email, phone")
    if named[0] == "email":
        return EMAIL, email_address(payload, "email", where)
    return SMS, phone_number(payload, "phone", where, settings)
