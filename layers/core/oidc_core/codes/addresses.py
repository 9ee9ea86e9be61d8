"""Whether an address can be sent to at all, checked before any limit is counted or any service is called: SES and SNS
refuse a malformed address with an error that would otherwise reach the caller as a 503, not as their own mistake."""

from __future__ import annotations

import re

from oidc_core.codes.channels import EMAIL
from oidc_core.errors import invalid_request
from oidc_core.store.identifiers import normalise_phone

# What SES takes in ToAddresses, without the quoted and commented forms no sign-up needs: one '@', a domain with a dot,
# no space or control character. Not a full RFC 5321 grammar: SES is the final judge, this keeps obvious junk out.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+")
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a path, less its angle brackets


def require_sendable(medium: str, address: str) -> str:
    """The address, or a 400 invalid_request when it cannot be an email address (EMAIL) or an E.164 number (SMS)."""
    if medium == EMAIL:
        if len(address) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(address):
            raise invalid_request("not an email address")
        ses_recipient(address)
    elif not address.startswith("+") or normalise_phone(address, "") != address:  # E.164 as users' phones are
        raise invalid_request("not a phone number in international format (E.164)")
    return address


def ses_recipient(address: str) -> str:
    """The address as SES takes it: SES speaks no SMTPUTF8, so the local part must be ASCII and an international domain
    goes in its ASCII (punycode) form; 400 invalid_request otherwise."""
    local, _, domain = address.rpartition("@")
    try:
        if not local.isascii():
            raise UnicodeError("SES refuses a non-ASCII local part")
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        raise invalid_request("this email address cannot receive mail from here (non-ASCII before the @)") from None
