"""The rules of codes and their sends, read once from the environment the functions will get from template.yaml.

Fixed by Authing's behaviour and the issue (not configurable): 6 digits, 5 tries, one send per address and channel per
60 s. Configurable, with the template parameters a later change declares (the names in brackets): how long a code
lives (PassCodeTtl), the per-IP and per-address limits (SendsPerIpPerHour, SendsPerAddressPerDay), where SMS may go and
how many a day (SmsCountryCodes, SmsDailyLimit), and what the messages say and come from (ProductName, EmailSender,
EmailConfigurationSet).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from oidc_core.config import ConfigurationError, _int

MAX_TRIES = 5
RESEND_INTERVAL_SECONDS = 60
MAX_CODE_TTL = 900  # a code that lives longer is a password sent in clear
DEFAULT_PRODUCT_NAME = "serverless-oidc"
MAX_PRODUCT_NAME_LENGTH = 40  # it opens every SMS: short, or the code is cut off on a lock screen
_COUNTRY_CODE = re.compile(r"\+[1-9][0-9]{0,2}")  # fullmatch; [0-9], not \d, which takes any script's digits


@dataclass(frozen=True)
class CodePolicy:
    code_ttl: int = 300
    sends_per_ip_per_hour: int = 30
    sends_per_address_per_day: int = 10
    sms_country_codes: tuple[str, ...] = ("+86",)
    sms_daily_limit: int = 1000
    product_name: str = DEFAULT_PRODUCT_NAME
    email_sender: str = ""  # a verified SES identity (an address, or an address at a verified domain)
    email_configuration_set: str = ""  # empty: none


def parse_country_codes(raw: str) -> tuple[str, ...]:
    """'+86, +852' -> ('+86', '+852'). Country calling codes are prefix-free, so a number is in a country exactly when
    it starts with its code; a code that is no code (+8) would let whole regions through, hence the strict form."""
    codes = tuple(part.strip() for part in raw.split(",") if part.strip())
    bad = [code for code in codes if not _COUNTRY_CODE.fullmatch(code)]
    if bad or not codes:
        raise ConfigurationError(f"SMS_COUNTRY_CODES must list country codes like +86,+852, got {raw!r}")
    return codes


def load_code_policy(env: dict | None = None) -> CodePolicy:
    env = os.environ if env is None else env
    product_name = (env.get("PRODUCT_NAME") or DEFAULT_PRODUCT_NAME).strip()
    if len(product_name) > MAX_PRODUCT_NAME_LENGTH or not product_name.isprintable():
        raise ConfigurationError(f"PRODUCT_NAME must be printable and at most {MAX_PRODUCT_NAME_LENGTH} characters")
    return CodePolicy(
        code_ttl=min(_int(env, "PASS_CODE_TTL", 300, minimum=60), MAX_CODE_TTL),
        sends_per_ip_per_hour=_int(env, "SENDS_PER_IP_PER_HOUR", 30),
        sends_per_address_per_day=_int(env, "SENDS_PER_ADDRESS_PER_DAY", 10),
        sms_country_codes=parse_country_codes(env.get("SMS_COUNTRY_CODES") or "+86"),
        sms_daily_limit=_int(env, "SMS_DAILY_LIMIT", 1000, minimum=0),
        product_name=product_name,
        email_sender=env.get("EMAIL_SENDER", ""),
        email_configuration_set=env.get("EMAIL_CONFIGURATION_SET", ""),
    )
