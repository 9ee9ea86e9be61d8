"""The codes room without AWS: channels, the delivery rule that keeps sends from revealing accounts, code generation,
the digest's bindings, the messages in both languages, the policy's defaults and the SMS country list."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from oidc_core.codes import channels
from oidc_core.codes.channels import (CHANNEL_BIND_EMAIL, CHANNEL_BIND_PHONE, CHANNEL_LOGIN, CHANNEL_REGISTER,
                                      CHANNEL_RESET_PASSWORD, CHANNEL_VERIFY_EMAIL_LINK, EMAIL, SMS, Delivery,
                                      UnknownChannel, channel_for, delivery_for)
from oidc_core.codes.generation import looks_like_a_code, new_code
from oidc_core.codes.policy import CodePolicy, load_code_policy
from oidc_core.codes.sms_defences import country_allowed
from oidc_core.codes.texts import address_taken_message, code_message, no_account_message
from oidc_core.codes.addresses import require_sendable, ses_recipient
from oidc_core.config import ConfigurationError
from oidc_core.errors import OAuthError
from oidc_core.store.passcodes import code_digest

ISSUE_CHANNELS = {CHANNEL_LOGIN, CHANNEL_REGISTER, CHANNEL_RESET_PASSWORD, CHANNEL_VERIFY_EMAIL_LINK,
                  CHANNEL_BIND_PHONE, CHANNEL_BIND_EMAIL}


# -- channels ---------------------------------------------------------------------------------------------------------

def test_the_channels_are_authings_names():
    assert set(channels.CHANNELS) == ISSUE_CHANNELS
    assert {name: name for name in ISSUE_CHANNELS} == {getattr(channels, name): name for name in ISSUE_CHANNELS}


@pytest.mark.parametrize("medium, accepted", [
    (SMS, {CHANNEL_LOGIN, CHANNEL_REGISTER, CHANNEL_RESET_PASSWORD, CHANNEL_BIND_PHONE}),
    (EMAIL, {CHANNEL_LOGIN, CHANNEL_REGISTER, CHANNEL_RESET_PASSWORD, CHANNEL_VERIFY_EMAIL_LINK, CHANNEL_BIND_EMAIL}),
])
def test_each_medium_takes_its_channels_and_refuses_every_other_clearly(medium, accepted):
    assert {name for name in ISSUE_CHANNELS if _accepts(name, medium)} == accepted
    for other in ("CHANNEL_UNBIND_PHONE", "channel_login", "", None, 7, ["CHANNEL_LOGIN"], "CHANNEL_LOGIN " * 50):
        with pytest.raises(UnknownChannel) as refused:
            channel_for(other, medium)
        assert refused.value.status_code == 400 and refused.value.error == "invalid_request"
        assert "CHANNEL_LOGIN" in refused.value.description and len(refused.value.description) <= 200


def _accepts(name: str, medium: str) -> bool:
    try:
        return channel_for(name, medium) == name
    except UnknownChannel:
        return False


# -- what a send delivers: never a code that proves an account, never a different answer -----------------------------

@pytest.mark.parametrize("channel", [CHANNEL_LOGIN, CHANNEL_RESET_PASSWORD, CHANNEL_VERIFY_EMAIL_LINK])
def test_codes_for_an_account_go_only_to_an_address_that_has_one(channel):
    assert delivery_for(channel, EMAIL, address_in_use=True) is Delivery.CODE
    assert delivery_for(channel, EMAIL, address_in_use=False) is Delivery.NO_ACCOUNT
    if SMS in channels.MEDIA[channel]:
        assert delivery_for(channel, SMS, address_in_use=True) is Delivery.CODE
        # one SMS either way (saying no account uses the number), so a send's calls and time reveal nothing
        assert delivery_for(channel, SMS, address_in_use=False) is Delivery.NO_ACCOUNT


@pytest.mark.parametrize("channel", [CHANNEL_REGISTER, CHANNEL_BIND_PHONE, CHANNEL_BIND_EMAIL])
def test_a_register_or_bind_code_for_a_taken_address_is_a_message_saying_so_not_a_code(channel):
    for medium in channels.MEDIA[channel]:
        assert delivery_for(channel, medium, address_in_use=True) is Delivery.ADDRESS_TAKEN
        assert delivery_for(channel, medium, address_in_use=False) is Delivery.CODE


# -- generation -------------------------------------------------------------------------------------------------------

def test_codes_are_six_ascii_digits_over_the_whole_million():
    codes = [new_code() for _ in range(20000)]
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    # leading zeros happen (a generator of 100000..999999 would miss a tenth of the space): 0.9**20000 is never
    assert any(code.startswith("0") for code in codes)
    # every digit in every position, roughly evenly (each expected 2000 times; 1500 is far outside chance)
    for position in range(6):
        counts = Counter(code[position] for code in codes)
        assert set(counts) == set("0123456789") and min(counts.values()) > 1500
    assert len(set(codes)) > 19000  # a repeating or low-entropy source would collide far more


@pytest.mark.parametrize("value, looks", [("012345", True), ("12345", False), ("1234567", False),
                                           ("١٢٣٤٥٦", False), ("１２３４５６", False), ("12345a", False),
                                           (123456, False), (None, False), ("12345\n", False)])
def test_only_six_ascii_digits_look_like_a_code(value, looks):
    assert looks_like_a_code(value) is looks


# -- the digest -------------------------------------------------------------------------------------------------------

def test_the_digest_binds_the_code_to_its_channel_its_address_and_the_key():
    key = b"k" * 32
    digest = code_digest(key, CHANNEL_LOGIN, "alice@example.com", "123456")
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and "123456" not in digest
    assert digest == code_digest(key, CHANNEL_LOGIN, "alice@example.com", "123456")
    others = {code_digest(key, CHANNEL_RESET_PASSWORD, "alice@example.com", "123456"),
              code_digest(key, CHANNEL_LOGIN, "bob@example.com", "123456"),
              code_digest(key, CHANNEL_LOGIN, "alice@example.com", "123457"),
              code_digest(b"x" * 32, CHANNEL_LOGIN, "alice@example.com", "123456")}
    assert digest not in others and len(others) == 4


def test_the_digest_cannot_be_shifted_between_address_and_code():
    # channel|address|code with a '|' in the address: the parts cannot be regrouped into another triple
    key = b"k" * 32
    assert code_digest(key, CHANNEL_LOGIN, "a|1@x.org", "234567") != \
        code_digest(key, CHANNEL_LOGIN, "a", "1@x.org|234567")


# -- the messages -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("locale, lifetime", [("en", "5 minutes"), ("zh-CN", "5 分钟")])
@pytest.mark.parametrize("channel", sorted(ISSUE_CHANNELS))
def test_a_code_message_names_the_product_the_code_and_how_long_it_lives(locale, lifetime, channel):
    for medium in channels.MEDIA[channel]:
        message = code_message(channel, medium, "048213", ttl_seconds=300, product="Acme ID", locale=locale)
        assert "048213" in message.text and "Acme ID" in message.text and lifetime in message.text
        assert (message.subject is None) == (medium == SMS)
        if message.subject is not None:
            assert "Acme ID" in message.subject and "048213" not in message.subject  # lock screens show subjects
        assert len(message.text) <= 200  # short: one or two SMS parts, not a letter


def test_the_messages_are_in_the_language_asked_for_and_english_otherwise():
    chinese = code_message(CHANNEL_LOGIN, SMS, "123456", ttl_seconds=300, product="Acme", locale="zh-CN")
    assert chinese.text.startswith("【Acme】") and "登录验证码" in chinese.text
    english = code_message(CHANNEL_LOGIN, SMS, "123456", ttl_seconds=300, product="Acme", locale="en")
    assert "sign-in code" in english.text and not re.search(r"[\u4e00-\u9fff]", english.text)
    for unknown in ("fr", None, "zh-TW-x"):
        assert code_message(CHANNEL_LOGIN, SMS, "123456", ttl_seconds=300, product="Acme", locale=unknown) == english


def test_a_lifetime_that_is_not_whole_minutes_is_said_in_seconds():
    assert "90 seconds" in code_message(CHANNEL_LOGIN, EMAIL, "123456", ttl_seconds=90, product="A", locale="en").text
    assert "1 minute." in code_message(CHANNEL_LOGIN, EMAIL, "123456", ttl_seconds=60, product="A", locale="en").text


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_address_taken_and_no_account_messages_carry_no_code(locale):
    for message in (address_taken_message(EMAIL, product="Acme", locale=locale),
                    address_taken_message(SMS, product="Acme", locale=locale),
                    no_account_message(CHANNEL_RESET_PASSWORD, EMAIL, product="Acme", locale=locale),
                    no_account_message(CHANNEL_LOGIN, SMS, product="Acme", locale=locale)):
        assert "Acme" in message.text and not re.search(r"[0-9]", message.text)


# -- the policy -------------------------------------------------------------------------------------------------------

def test_the_policy_defaults_are_the_issues():
    assert load_code_policy({}) == CodePolicy(code_ttl=300, sends_per_ip_per_hour=30, sends_per_address_per_day=10,
                                              sms_country_codes=("+86",), sms_daily_limit=1000)


def test_the_policy_reads_its_variables_and_caps_the_code_lifetime_at_15_minutes():
    policy = load_code_policy({"PASS_CODE_TTL": "3600", "SENDS_PER_IP_PER_HOUR": "5", "SMS_COUNTRY_CODES": "+86, +852",
                               "SMS_DAILY_LIMIT": "0", "PRODUCT_NAME": "Acme", "EMAIL_SENDER": "no-reply@acme.test"})
    assert policy.code_ttl == 900 and policy.sends_per_ip_per_hour == 5 and policy.sms_daily_limit == 0
    assert policy.sms_country_codes == ("+86", "+852") and policy.product_name == "Acme"


@pytest.mark.parametrize("variables", [{"SMS_COUNTRY_CODES": "86"}, {"SMS_COUNTRY_CODES": "+86,+0"},
                                       {"SMS_COUNTRY_CODES": "+8613"}, {"SMS_COUNTRY_CODES": " , "},
                                       {"SMS_COUNTRY_CODES": "+٨٦"}, {"PASS_CODE_TTL": "30"},
                                       {"PRODUCT_NAME": "x" * 41}, {"PRODUCT_NAME": "a\nb"}])
def test_a_policy_that_makes_no_sense_is_a_configuration_error(variables):
    with pytest.raises(ConfigurationError):
        load_code_policy(variables)


# -- where SMS may go -------------------------------------------------------------------------------------------------

def test_sms_go_only_to_the_listed_country_codes():
    china = CodePolicy(sms_country_codes=("+86",))
    assert country_allowed("+8613800138000", china)
    for elsewhere in ("+85212345678", "+12025550123", "+4477009001234", "8613800138000", ""):
        assert not country_allowed(elsewhere, china), elsewhere
    two = CodePolicy(sms_country_codes=("+86", "+852"))
    assert country_allowed("+85212345678", two) and not country_allowed("+85312345678", two)


# -- addresses that cannot be sent to -----------------------------------------------------------------------------

@pytest.mark.parametrize("medium, address", [
    (EMAIL, "alice@example.com"), (EMAIL, "alice@例子.中国"), (EMAIL, "a.b+tag@mail.example.co.uk"),
    (SMS, "+8613800138000"), (SMS, "+12025550123")])
def test_an_address_that_can_be_sent_to_passes(medium, address):
    assert require_sendable(medium, address) == address


@pytest.mark.parametrize("medium, address", [
    (EMAIL, "alice"), (EMAIL, "alice@"), (EMAIL, "@example.com"), (EMAIL, "alice@localhost"), (EMAIL, "a b@x.org"),
    (EMAIL, "a@b@x.org"), (EMAIL, "alice@example.com\n"), (EMAIL, "x" * 65 + "@example.com"),
    (EMAIL, "a@" + "b" * 250 + ".com"), (EMAIL, ""), (EMAIL, "张三@example.com"), (EMAIL, "a@" + "b" * 64 + ".com"),
    (SMS, "13800138000"), (SMS, "+86 138 0013 8000"), (SMS, "+0123456789"), (SMS, "+١٣٨٠٠١٣٨٠٠٠"), (SMS, "+123"),
    (SMS, "")])
def test_an_address_that_cannot_be_sent_to_is_a_clear_invalid_request(medium, address):
    with pytest.raises(OAuthError) as refused:
        require_sendable(medium, address)
    assert (refused.value.status_code, refused.value.error) == (400, "invalid_request")


def test_an_international_domain_goes_to_ses_in_its_ascii_form():
    assert ses_recipient("alice@例子.中国") == "alice@xn--fsqu00a.xn--fiqs8s"
    assert ses_recipient("alice@example.com") == "alice@example.com"
