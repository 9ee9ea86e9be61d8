"""Defences against SMS pumping (toll fraud: bots make a form send SMS to premium numbers whose operator shares the
fee): SMS go only to the country codes the operator lists, and no more than a daily budget of them leave the
deployment, after which SMS stop until the next UTC day and a metric (SmsBudgetExhausted) lets an alarm fire."""

from __future__ import annotations

from oidc_core.codes.policy import CodePolicy
from oidc_core.config import Settings
from oidc_core.observability import count, logger
from oidc_core.store import send_counters

BUDGET_EXHAUSTED_METRIC = "SmsBudgetExhausted"


def country_allowed(phone: str, policy: CodePolicy) -> bool:
    """Whether an E.164 number is in one of the allowed countries (calling codes are prefix-free, so the number's
    own country code is the one it starts with)."""
    return phone.startswith("+") and any(phone.startswith(code) for code in policy.sms_country_codes)


def spend_from_budget(settings: Settings, policy: CodePolicy, now: int) -> int:
    """Take one SMS from today's budget: 0, or the seconds until the budget renews (nothing may be sent)."""
    wait = send_counters.spend_sms_budget(settings, now=now, limit=policy.sms_daily_limit)
    if wait:
        logger.warning("sms budget exhausted", extra={"sms_daily_limit": policy.sms_daily_limit})
        count(BUDGET_EXHAUSTED_METRIC)
    return wait
