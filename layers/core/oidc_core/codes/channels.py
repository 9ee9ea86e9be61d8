"""The purposes a code is sent for, as Authing's v3 API names them (`channel` of send-sms and send-email), and what
a send for each may deliver so that its answer never tells whether an address has an account.

A code is bound to its channel: a CHANNEL_REGISTER code cannot sign anybody in, and a CHANNEL_LOGIN code cannot reset
a password.
"""

from __future__ import annotations

import enum

from oidc_core.errors import OAuthError

CHANNEL_LOGIN = "CHANNEL_LOGIN"
CHANNEL_REGISTER = "CHANNEL_REGISTER"
CHANNEL_RESET_PASSWORD = "CHANNEL_RESET_PASSWORD"
CHANNEL_VERIFY_EMAIL_LINK = "CHANNEL_VERIFY_EMAIL_LINK"
CHANNEL_BIND_PHONE = "CHANNEL_BIND_PHONE"
CHANNEL_BIND_EMAIL = "CHANNEL_BIND_EMAIL"

EMAIL, SMS = "email", "sms"

# Which medium each channel may use: Authing's send-sms knows no email channels and send-email no phone ones.
MEDIA = {
    CHANNEL_LOGIN: (EMAIL, SMS),
    CHANNEL_REGISTER: (EMAIL, SMS),
    CHANNEL_RESET_PASSWORD: (EMAIL, SMS),
    CHANNEL_VERIFY_EMAIL_LINK: (EMAIL,),
    CHANNEL_BIND_PHONE: (SMS,),
    CHANNEL_BIND_EMAIL: (EMAIL,),
}
CHANNELS = tuple(MEDIA)
# Channels whose code is for an account the address already names; the others are for an address nobody uses yet.
FOR_AN_ACCOUNT = frozenset({CHANNEL_LOGIN, CHANNEL_RESET_PASSWORD, CHANNEL_VERIFY_EMAIL_LINK})
MAX_CHANNEL_LENGTH = 64  # longer than any channel: an error message never echoes an unbounded value


class UnknownChannel(OAuthError):
    def __init__(self, channel: object, medium: str):
        shown = str(channel)[:MAX_CHANNEL_LENGTH]
        allowed = ", ".join(name for name in CHANNELS if medium in MEDIA[name])
        super().__init__("invalid_request", f"unknown {medium} channel {shown!r}; one of {allowed}")
        self.channel = shown


def channel_for(value: object, medium: str) -> str:
    """The channel a request names, for that medium; UnknownChannel (a clear invalid_request) for any other."""
    if not isinstance(value, str) or medium not in MEDIA.get(value, ()):
        raise UnknownChannel(value, medium)
    return value


class Delivery(enum.Enum):
    """What a send delivers. The caller answers the request the same way whichever it is."""

    CODE = "code"
    ADDRESS_TAKEN = "address_taken"  # a sign-up or bind for an address that has an account: say so, send no code
    NO_ACCOUNT = "no_account"  # a sign-in or reset code asked for an address nobody uses: say so, send no code


def delivery_for(channel: str, medium: str, *, address_in_use: bool) -> Delivery:
    """What to deliver for a send on this channel, given whether the address belongs to an account.

    One message goes out either way, by email and by SMS alike, so a send makes the same calls to SES or SNS (and
    takes the same time) whether or not an account uses the address: an address nobody uses is told so (and a user
    who forgot which address they signed up with learns it). An SMS costs money and numbers nobody registered are
    what SMS pumping sends to; the country list, the per-address, per-IP and daily budget limits bound that cost,
    where sending nothing would give every caller a timing oracle of who has an account."""
    if channel in FOR_AN_ACCOUNT:
        return Delivery.CODE if address_in_use else Delivery.NO_ACCOUNT
    return Delivery.ADDRESS_TAKEN if address_in_use else Delivery.CODE
