"""Whether a code may be sent now, decided before anything is sent or any account is looked up, so known and unknown
addresses count alike: the per-IP hourly limit (counted first, for every request, refused ones too), for SMS the
country list, then one send per address and channel per 60 s, the address's daily limit, and last, only for an SMS
that passed everything else, the deployment's daily SMS budget (so requests refused anyway cannot drain it).
A send that passes counts whether or not a message then goes out (an SMS to a number no account uses sends nothing),
so the limits answer alike for every address."""

from __future__ import annotations

from oidc_core.codes.channels import SMS
from oidc_core.codes.policy import RESEND_INTERVAL_SECONDS, CodePolicy
from oidc_core.codes.sms_defences import country_allowed, spend_from_budget
from oidc_core.config import Settings
from oidc_core.errors import OAuthError
from oidc_core.store import send_counters

RESEND_TOO_SOON = "resend_too_soon"
ADDRESS_DAILY_LIMIT = "address_daily_limit"
IP_HOURLY_LIMIT = "ip_hourly_limit"
SMS_COUNTRY_NOT_ALLOWED = "sms_country_not_allowed"
SMS_BUDGET_EXHAUSTED = "sms_budget_exhausted"

_DESCRIPTIONS = {
    RESEND_TOO_SOON: "a code was sent to this address a moment ago; wait before asking for another",
    ADDRESS_DAILY_LIMIT: "too many codes sent to this address today",
    IP_HOURLY_LIMIT: "too many codes asked for from this network; retry later",
    SMS_COUNTRY_NOT_ALLOWED: "SMS cannot be sent to this country",
    SMS_BUDGET_EXHAUSTED: "SMS cannot be sent at the moment; retry later or use email",
}


class SendRefused(OAuthError):
    """A send the limits refuse: 429 with Retry-After, or 400 for a country SMS may not go to. `reason` is one of the
    constants above, for the caller's own answer shape (Authing's envelope) and the audit trail."""

    def __init__(self, reason: str, retry_after: int = 0):
        if reason == SMS_COUNTRY_NOT_ALLOWED:  # no wait makes it pass: the caller's mistake, not a rate
            super().__init__("invalid_request", _DESCRIPTIONS[reason])
        else:
            super().__init__("too_many_requests", _DESCRIPTIONS[reason], status_code=429,
                             headers={"Retry-After": str(retry_after)})
        self.reason = reason
        self.retry_after = retry_after


def reserve_send(settings: Settings, policy: CodePolicy, *, channel: str, medium: str, address: str, source_ip: str,
                 now: int) -> None:
    """Count this send against every limit; SendRefused when one refuses. `address` is normalised (an email as
    identifiers.normalise_email, a phone E.164), so one address cannot be counted under two spellings."""
    wait = send_counters.count_ip_send(settings, source_ip=source_ip, now=now, limit=policy.sends_per_ip_per_hour)
    if wait:
        raise SendRefused(IP_HOURLY_LIMIT, wait)
    if medium == SMS and not country_allowed(address, policy):
        raise SendRefused(SMS_COUNTRY_NOT_ALLOWED)
    # One after the other: a request refused for coming too soon must not use up the address's day, or ten quick
    # requests would silence an address until midnight.
    wait = send_counters.claim_resend_slot(settings, channel=channel, address=address, now=now,
                                           interval=RESEND_INTERVAL_SECONDS)
    if wait:
        raise SendRefused(RESEND_TOO_SOON, wait)
    wait = send_counters.count_address_send(settings, address=address, now=now, limit=policy.sends_per_address_per_day)
    if wait:
        raise SendRefused(ADDRESS_DAILY_LIMIT, wait)
    if medium == SMS and (wait := spend_from_budget(settings, policy, now)):
        raise SendRefused(SMS_BUDGET_EXHAUSTED, wait)
