"""Sending a code and checking one: what the v3 send calls, sign-up, passcode sign-in and the reset call will use.

`send_code` counts the send against the limits (codes.limits) before anything else, so a refusal depends on the
address and the caller alone, never on whether an account exists; it then delivers what channels.delivery_for
decides: a code (stored as a digest, replacing any earlier one), a message saying the address already has an account,
a message saying no account uses it, or nothing. The caller answers the request the same way whatever was delivered.
"""

from __future__ import annotations

from oidc_core.codes import delivery, limits
from oidc_core.codes.addresses import require_sendable
from oidc_core.codes.channels import EMAIL, Delivery, delivery_for
from oidc_core.codes.generation import looks_like_a_code, new_code
from oidc_core.codes.policy import MAX_TRIES, CodePolicy
from oidc_core.codes.texts import Message, address_taken_message, code_message, no_account_message
from oidc_core.config import Settings
from oidc_core.store import passcodes
from oidc_core.store.passcodes import Verdict


def send_code(settings: Settings, policy: CodePolicy, *, channel: str, medium: str, address: str,
              address_in_use: bool, source_ip: str, locale: str | None, digest_key: bytes, now: int) -> Delivery:
    """Send what a request for a code on `channel` to `address` (normalised: identifiers.normalise_email, or E.164)
    warrants. Raises an invalid_request OAuthError for an address that cannot be one, limits.SendRefused, or
    DependencyUnavailable when DynamoDB, SES or SNS fails. Returns what was delivered, for the audit trail only: never
    tell the caller."""
    require_sendable(medium, address)
    limits.reserve_send(settings, policy, channel=channel, medium=medium, address=address, source_ip=source_ip,
                        now=now)
    what = delivery_for(channel, medium, address_in_use=address_in_use)
    # A code is stored whatever goes out (one nobody is sent, when the message says the address is taken or unknown):
    # the same DynamoDB write either way, so neither the calls nor the time of a send tell who has an account.
    code = new_code()
    passcodes.put(settings, channel=channel, address=address, code=code, digest_key=digest_key, now=now,
                  ttl=policy.code_ttl)
    product = policy.product_name
    if what is Delivery.CODE:
        message = code_message(channel, medium, code, ttl_seconds=policy.code_ttl, product=product, locale=locale)
    elif what is Delivery.ADDRESS_TAKEN:
        message = address_taken_message(medium, product=product, locale=locale)
    else:
        message = no_account_message(channel, medium, product=product, locale=locale)
    deliver(policy, medium, address, message)
    return what


def deliver(policy: CodePolicy, medium: str, address: str, message: Message) -> str:
    """One message by email or SMS; the provider's message id."""
    if medium == EMAIL:
        return delivery.send_email(sender=policy.email_sender, to=address, message=message,
                                   configuration_set=policy.email_configuration_set)
    return delivery.send_sms(phone=address, message=message)


def check_code(settings: Settings, *, channel: str, address: str, code: object, digest_key: bytes,
               now: int) -> Verdict:
    """Try a code sent on `channel` to `address`: ACCEPTED once for the right code, WRONG (a try spent), or DEAD
    (none to try: expired, used, replaced, or 5 wrong tries). Anything that is not 6 digits spends a try too, so
    malformed guesses buy nothing."""
    offered = code if looks_like_a_code(code) else "-"
    return passcodes.check(settings, channel=channel, address=address, code=offered, digest_key=digest_key,
                           now=now, max_tries=MAX_TRIES)
