"""One-time codes in the tokens table and the limits on sending them, against emulated DynamoDB: single use, 5 tries,
replacement, expiry, binding to channel and address, one send per 60 s, the per-IP and per-address limits, the SMS
country list and budget; exact under concurrency. Time is passed in (`now`), never waited for."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from oidc_core import aws, config
from oidc_core.codes import limits
from oidc_core.codes.channels import CHANNEL_LOGIN, CHANNEL_REGISTER, CHANNEL_RESET_PASSWORD, EMAIL, SMS
from oidc_core.codes.passcodes import check_code
from oidc_core.codes.policy import CodePolicy
from oidc_core.observability import metrics
from oidc_core.store import passcodes
from oidc_core.store.passcodes import Verdict

KEY = b"digest-key-for-tests-0123456789ab"
NOW = 1_800_000_000  # a fixed clock; its hour starts at 1_799_996_400 and its UTC day at 1_799_971_200
HOUR_END, DAY_END = 1_800_000_000 + 3600, 1_799_971_200 + 86400
ALICE = "alice@example.com"
PHONE = "+8613800138000"
POLICY = CodePolicy(sends_per_ip_per_hour=30, sends_per_address_per_day=10, sms_country_codes=("+86",),
                    sms_daily_limit=5)


@pytest.fixture
def settings(stack):
    yield config.settings()
    # what the budget published outside any handler would otherwise go out with the next handler's metrics
    metrics.clear_metrics()


def put(settings, code="123456", *, channel=CHANNEL_LOGIN, address=ALICE, now=NOW, ttl=300):
    passcodes.put(settings, channel=channel, address=address, code=code, digest_key=KEY, now=now, ttl=ttl)


def check(settings, code="123456", *, channel=CHANNEL_LOGIN, address=ALICE, now=NOW + 10):
    return check_code(settings, channel=channel, address=address, code=code, digest_key=KEY, now=now)


def table_items(settings) -> list[dict]:
    return aws.client("dynamodb").scan(TableName=settings.tokens_table)["Items"]


def in_parallel(count: int, call) -> list:
    """`count` calls released at once by a barrier, each in its own thread."""
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait(timeout=30)
        return call(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


# -- codes --------------------------------------------------------------------------------------------------------

def test_the_right_code_is_accepted_once(settings):
    put(settings)
    assert check(settings) is Verdict.ACCEPTED
    assert check(settings) is Verdict.DEAD
    assert check(settings, now=NOW + 11) is Verdict.DEAD


def test_only_a_digest_is_stored_and_it_needs_the_key(settings):
    put(settings, "987654")
    (item,) = [item for item in table_items(settings) if item["pk"]["S"].startswith("passcode#")]
    assert "987654" not in repr(item) and ALICE not in repr(item)
    assert item["expires_at"]["N"] == str(NOW + 300)  # the table's TTL removes it when the code dies
    # the digest is keyed: the same code under another key is not accepted
    assert check_code(settings, channel=CHANNEL_LOGIN, address=ALICE, code="987654", digest_key=b"other" * 8,
                      now=NOW + 10) is Verdict.WRONG
    assert check(settings, "987654") is Verdict.ACCEPTED


def test_a_code_is_dead_after_five_wrong_tries_even_for_the_right_code(settings):
    put(settings)
    assert [check(settings, wrong) for wrong in ("000000", "111111", "222222", "333333", "444444")] == \
        [Verdict.WRONG] * 5
    assert check(settings) is Verdict.DEAD


def test_four_wrong_tries_leave_the_fifth_to_the_right_code(settings):
    put(settings)
    assert [check(settings, wrong) for wrong in ("000000", "111111", "222222", "333333")] == [Verdict.WRONG] * 4
    assert check(settings) is Verdict.ACCEPTED


def test_anything_but_six_digits_spends_a_try(settings):
    put(settings)
    for malformed in ("12345", "1234567", "12345a", None, {"code": "123456"}):
        assert check(settings, malformed) is Verdict.WRONG
    assert check(settings) is Verdict.DEAD  # the five malformed tries used the code up


def test_a_new_code_replaces_the_old_one_and_starts_its_tries_afresh(settings):
    put(settings, "111111")
    assert [check(settings, "000000") for _ in range(4)] == [Verdict.WRONG] * 4
    put(settings, "222222", now=NOW + 60)
    assert check(settings, "111111", now=NOW + 61) is Verdict.WRONG  # the old code is gone
    assert check(settings, "222222", now=NOW + 62) is Verdict.ACCEPTED


def test_a_code_lives_its_ttl_and_not_a_second_more(settings):
    put(settings, ttl=300)
    assert check(settings, now=NOW + 300) is Verdict.DEAD
    put(settings, ttl=300)
    assert check(settings, now=NOW + 299) is Verdict.ACCEPTED


def test_a_code_is_bound_to_its_channel_and_its_address(settings):
    put(settings, channel=CHANNEL_REGISTER)
    assert check(settings, channel=CHANNEL_LOGIN) is Verdict.DEAD
    assert check(settings, channel=CHANNEL_RESET_PASSWORD) is Verdict.DEAD
    assert check(settings, channel=CHANNEL_REGISTER, address="bob@example.com") is Verdict.DEAD
    assert check(settings, channel=CHANNEL_REGISTER) is Verdict.ACCEPTED


def test_codes_for_two_channels_of_one_address_live_side_by_side(settings):
    put(settings, "111111", channel=CHANNEL_LOGIN)
    put(settings, "222222", channel=CHANNEL_RESET_PASSWORD)
    assert check(settings, "222222", channel=CHANNEL_RESET_PASSWORD) is Verdict.ACCEPTED
    assert check(settings, "111111", channel=CHANNEL_LOGIN) is Verdict.ACCEPTED


def test_the_right_code_sent_twenty_times_at_once_is_accepted_exactly_once(settings):
    put(settings)
    verdicts = in_parallel(20, lambda _: check(settings))
    assert verdicts.count(Verdict.ACCEPTED) == 1
    assert set(verdicts) == {Verdict.ACCEPTED, Verdict.DEAD}


def test_two_checks_that_both_got_their_try_before_either_used_the_code_accept_it_once(settings):
    # The interleaving a busy table makes: both checks have reserved a try and matched the digest before either
    # deletes the item (held at the DeleteItem by a barrier), so only the delete's condition keeps the code single use.
    put(settings)
    both_matched = threading.Barrier(2)

    def hold(**_):
        both_matched.wait(timeout=30)

    events = aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.DeleteItem", hold)
    try:
        verdicts = in_parallel(2, lambda _: check(settings))
    finally:
        events.unregister("before-call.dynamodb.DeleteItem", hold)
    assert sorted(verdict.value for verdict in verdicts) == ["accepted", "dead"]


def test_twenty_wrong_codes_at_once_get_exactly_five_tries(settings):
    put(settings)
    verdicts = in_parallel(20, lambda index: check(settings, f"{index:06d}" if index != 123456 else "999999"))
    assert verdicts.count(Verdict.WRONG) == 5 and verdicts.count(Verdict.DEAD) == 15
    assert check(settings) is Verdict.DEAD


# -- send limits --------------------------------------------------------------------------------------------------

def reserve(settings, *, address=ALICE, channel=CHANNEL_LOGIN, medium=EMAIL, ip="198.51.100.7", now=NOW,
            policy=POLICY):
    limits.reserve_send(settings, policy, channel=channel, medium=medium, address=address, source_ip=ip, now=now)


def refusal(settings, **kwargs) -> limits.SendRefused:
    with pytest.raises(limits.SendRefused) as refused:
        reserve(settings, **kwargs)
    return refused.value


def test_one_send_per_address_and_channel_per_60_seconds(settings):
    reserve(settings)
    refused = refusal(settings, now=NOW + 59)
    assert (refused.reason, refused.status_code, refused.headers["Retry-After"]) == (limits.RESEND_TOO_SOON, 429, "1")
    assert refused.body()["error"] == "too_many_requests"
    reserve(settings, channel=CHANNEL_RESET_PASSWORD, now=NOW + 59)  # another channel has its own minute
    reserve(settings, address="bob@example.com", now=NOW + 59)  # another address too
    reserve(settings, now=NOW + 60)


def test_sends_from_one_ip_are_limited_per_hour(settings):
    for index in range(30):
        reserve(settings, address=f"user{index}@example.com", now=NOW + index)
    refused = refusal(settings, address="late@example.com", now=NOW + 30)
    assert refused.reason == limits.IP_HOURLY_LIMIT and refused.headers["Retry-After"] == str(HOUR_END - NOW - 30)
    reserve(settings, address="late@example.com", ip="203.0.113.9", now=NOW + 30)  # another address is not limited
    reserve(settings, address="late@example.com", now=HOUR_END)  # nor the next hour


def test_sends_to_one_address_are_limited_per_day_across_channels(settings):
    channels = (CHANNEL_LOGIN, CHANNEL_RESET_PASSWORD)
    for index in range(10):
        reserve(settings, channel=channels[index % 2], ip=f"203.0.113.{index}", now=NOW + 60 * index)
    refused = refusal(settings, ip="192.0.2.1", now=NOW + 600)
    assert refused.reason == limits.ADDRESS_DAILY_LIMIT
    assert refused.headers["Retry-After"] == str(DAY_END - NOW - 600)
    reserve(settings, ip="192.0.2.1", now=DAY_END)


def test_a_send_refused_as_too_soon_does_not_use_up_the_addresss_day(settings):
    reserve(settings)
    for second in range(1, 30):
        refusal(settings, ip=f"203.0.113.{second}", now=NOW + second)
    for minute in range(1, 10):
        reserve(settings, ip=f"192.0.2.{minute}", now=NOW + 60 * minute)
    assert refusal(settings, ip="192.0.2.99", now=NOW + 600).reason == limits.ADDRESS_DAILY_LIMIT


def test_sms_go_only_to_the_listed_countries_and_the_refusal_still_counts_for_the_ip(settings):
    refused = refusal(settings, address="+85212345678", medium=SMS)
    assert (refused.reason, refused.status_code, refused.body()["error"]) == \
        (limits.SMS_COUNTRY_NOT_ALLOWED, 400, "invalid_request")
    policy = CodePolicy(sends_per_ip_per_hour=1, sms_country_codes=("+86",))
    assert refusal(settings, address=PHONE, medium=SMS, policy=policy).reason == limits.IP_HOURLY_LIMIT


def test_the_daily_sms_budget_stops_sms_and_not_email(settings):
    for index in range(5):
        reserve(settings, address=f"+861380013800{index}", medium=SMS, ip=f"203.0.113.{index}")
    refused = refusal(settings, address="+8613800138009", medium=SMS, ip="192.0.2.1")
    assert refused.reason == limits.SMS_BUDGET_EXHAUSTED and refused.headers["Retry-After"] == str(DAY_END - NOW)
    reserve(settings, address="carol@example.com", ip="192.0.2.1")  # email is not SMS
    reserve(settings, address="+8613800138009", medium=SMS, ip="192.0.2.2", now=DAY_END)  # a new day, a new budget


def test_requests_refused_for_other_reasons_do_not_spend_the_sms_budget(settings):
    reserve(settings, address=PHONE, medium=SMS)
    for second in range(1, 20):  # hammering one number: refused as too soon, never reaching the budget
        refusal(settings, address=PHONE, medium=SMS, ip=f"203.0.113.{second}", now=NOW + second)
    for index in range(4):  # the budget (5) still has its other four
        reserve(settings, address=f"+861390013900{index}", medium=SMS, ip=f"192.0.2.{index}")


def test_a_budget_of_zero_sends_no_sms(settings):
    policy = CodePolicy(sms_daily_limit=0)
    assert refusal(settings, address=PHONE, medium=SMS, policy=policy).reason == limits.SMS_BUDGET_EXHAUSTED


def test_an_exhausted_budget_publishes_the_metric_an_alarm_watches(settings):
    metrics.clear_metrics()
    refusal(settings, address=PHONE, medium=SMS, policy=CodePolicy(sms_daily_limit=0))
    assert "SmsBudgetExhausted" in metrics.metric_set


def test_one_address_asked_for_forty_times_at_once_gets_one_send(settings):
    outcomes = in_parallel(40, lambda index: _outcome(settings, ip=f"203.0.113.{index}"))
    assert outcomes.count("sent") == 1 and outcomes.count(limits.RESEND_TOO_SOON) == 39


def test_forty_sends_from_one_ip_at_once_pass_the_hourly_limit_exactly(settings):
    outcomes = in_parallel(40, lambda index: _outcome(settings, address=f"user{index}@example.com"))
    assert outcomes.count("sent") == 30 and outcomes.count(limits.IP_HOURLY_LIMIT) == 10


def test_sms_sent_at_once_never_exceed_the_budget(settings):
    outcomes = in_parallel(12, lambda index: _outcome(settings, address=f"+86138001380{index:02d}", medium=SMS,
                                                      ip=f"203.0.113.{index}"))
    assert outcomes.count("sent") == 5 and outcomes.count(limits.SMS_BUDGET_EXHAUSTED) == 7


def _outcome(settings, **kwargs) -> str:
    try:
        reserve(settings, **kwargs)
    except limits.SendRefused as refused:
        return refused.reason
    return "sent"
