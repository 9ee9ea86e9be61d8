"""Codes really sent, read back from what the emulated SES v2 and SNS kept (through the local outbox's reader): the
email's sender, recipient, subject and text, the SMS's number, text and transactional type, and what a send delivers
when the address has no account or already has one. Time is passed in, never waited for."""

from __future__ import annotations

import re
import time

import boto3
import pytest
from moto.ses.models import ses_backends

from oidc_core import aws, config
from oidc_core.codes import limits
from oidc_core.codes.channels import CHANNEL_LOGIN, CHANNEL_REGISTER, CHANNEL_RESET_PASSWORD, EMAIL, SMS, Delivery
from oidc_core.codes.passcodes import check_code, send_code
from oidc_core.codes.policy import CodePolicy
from oidc_core.errors import DependencyUnavailable, OAuthError
from oidc_core.store.passcodes import Verdict
from oidc_tools.local import outbox

KEY = b"digest-key-for-tests-0123456789ab"
NOW = 1_800_000_000
SENDER = "no-reply@auth.example.test"
POLICY = CodePolicy(product_name="Acme ID", email_sender=SENDER, code_ttl=600)
ALICE, PHONE = "alice@example.com", "+8613800138000"


@pytest.fixture
def settings(stack):
    outbox.install()
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
    return config.settings()


@pytest.fixture
def requests_made(settings):
    """(operation, parameters) of every SES v2 and SNS call, as the client sent them."""
    made = []

    def record(params, model, **_):
        made.append((model.name, params))

    for service in ("sesv2", "sns"):
        aws.client(service).meta.events.register(f"provide-client-params.{service}.*", record)
    return made


def send(settings, *, channel=CHANNEL_LOGIN, medium=EMAIL, address=ALICE, in_use=True, locale="en", now=NOW,
         policy=POLICY, ip="198.51.100.7"):
    return send_code(settings, policy, channel=channel, medium=medium, address=address, address_in_use=in_use,
                     source_ip=ip, locale=locale, digest_key=KEY, now=now)


def the_code(text: str) -> str:
    (code,) = re.findall(r"(?<![0-9])[0-9]{6}(?![0-9])", text)
    return code


def test_an_email_code_goes_through_ses_v2_from_the_sender_and_is_the_one_stored(settings, requests_made):
    started = time.time()
    assert send(settings) is Delivery.CODE
    (sent,) = outbox.messages()
    assert (sent["channel"], sent["to"]) == ("email", ALICE)
    assert "Acme ID" in sent["subject"] and "10 minutes" in sent["text"]
    assert int(started) <= sent["sent_at"] <= time.time()
    (emulated,) = ses_backends[next(iter(ses_backends))]["us-east-1"].sent_messages
    assert emulated.source == SENDER
    (operation, params), = requests_made
    assert operation == "SendEmail" and "Simple" in params["Content"] and "ConfigurationSetName" not in params
    code = the_code(sent["text"])
    assert code not in sent["subject"]
    assert check_code(settings, channel=CHANNEL_LOGIN, address=ALICE, code=code, digest_key=KEY,
                      now=NOW + 1) is Verdict.ACCEPTED


def test_the_configuration_set_is_named_when_there_is_one(settings, requests_made):
    send(settings, policy=CodePolicy(email_sender=SENDER, email_configuration_set="codes"))
    (_, params), = requests_made
    assert params["ConfigurationSetName"] == "codes"


def test_an_sms_code_goes_through_sns_as_a_transactional_sms_in_the_language_asked_for(settings, requests_made):
    assert send(settings, medium=SMS, address=PHONE, locale="zh-CN") is Delivery.CODE
    (sent,) = outbox.messages()
    assert (sent["channel"], sent["to"], sent["subject"]) == ("sms", PHONE, None)
    assert sent["text"].startswith("【Acme ID】") and "10 分钟" in sent["text"]
    (operation, params), = requests_made
    assert operation == "Publish" and params["PhoneNumber"] == PHONE
    assert params["MessageAttributes"]["AWS.SNS.SMS.SMSType"] == {"DataType": "String", "StringValue": "Transactional"}
    assert check_code(settings, channel=CHANNEL_LOGIN, address=PHONE, code=the_code(sent["text"]), digest_key=KEY,
                      now=NOW + 1) is Verdict.ACCEPTED


def test_a_register_code_for_a_taken_address_is_a_message_saying_so_and_no_code(settings):
    assert send(settings, channel=CHANNEL_REGISTER, in_use=True) is Delivery.ADDRESS_TAKEN
    (sent,) = outbox.messages()
    assert "already has one" in sent["text"] and not re.search(r"[0-9]", sent["text"])
    # a code is stored all the same (the same write as a real send, so the time tells nothing), but nobody was sent it
    items = aws.client("dynamodb").scan(TableName=settings.tokens_table)["Items"]
    assert len([item for item in items if item["pk"]["S"].startswith("passcode#")]) == 1


def test_a_reset_code_for_an_unknown_email_says_no_account_uses_it(settings):
    assert send(settings, channel=CHANNEL_RESET_PASSWORD, in_use=False) is Delivery.NO_ACCOUNT
    (sent,) = outbox.messages()
    assert "no account uses it" in sent["text"] and not re.search(r"[0-9]", sent["text"])


def test_a_login_sms_for_an_unknown_number_says_so_and_counts_as_a_send(settings):
    # one SMS either way, with no code in it: a send makes the same calls whether or not the number has an account
    assert send(settings, medium=SMS, address=PHONE, in_use=False) is Delivery.NO_ACCOUNT
    (sent,) = outbox.messages()
    assert sent["channel"] == "sms" and not re.search(r"[0-9]", sent["text"])
    # the same limits as for a number with an account: a second ask within the minute is refused alike
    for in_use in (False, True):
        with pytest.raises(limits.SendRefused) as refused:
            send(settings, medium=SMS, address=PHONE, in_use=in_use, now=NOW + 30)
        assert refused.value.reason == limits.RESEND_TOO_SOON


def test_the_outbox_lists_email_and_sms_newest_first(settings):
    send(settings, address="first@example.com")
    send(settings, medium=SMS, address=PHONE)
    send(settings, address="third@example.com")
    assert [message["to"] for message in outbox.messages()] == ["third@example.com", PHONE, "first@example.com"]


def test_a_sender_ses_does_not_know_is_a_503_with_retry_after(settings):
    with pytest.raises(DependencyUnavailable) as unavailable:
        send(settings, policy=CodePolicy(email_sender="nobody@unverified.example"))
    assert unavailable.value.status_code == 503 and unavailable.value.headers["Retry-After"]
    assert outbox.messages() == []


def test_an_address_that_cannot_be_sent_to_is_a_400_before_anything_is_counted_or_sent(settings, requests_made):
    for medium, address in ((EMAIL, "alice@localhost"), (EMAIL, "张三@example.com"), (SMS, "13800138000")):
        with pytest.raises(OAuthError) as refused:
            send(settings, medium=medium, address=address, policy=CodePolicy(email_sender=SENDER,
                                                                             sends_per_ip_per_hour=1))
        assert (refused.value.status_code, refused.value.error) == (400, "invalid_request")
    assert requests_made == [] and aws.client("dynamodb").scan(TableName=settings.tokens_table)["Items"] == []


def test_an_international_domain_is_sent_to_in_its_ascii_form(settings):
    send(settings, address="alice@例子.中国")
    assert outbox.messages()[0]["to"] == "alice@xn--fsqu00a.xn--fiqs8s"


def test_what_a_send_and_a_check_cost_in_aws_calls(settings, requests_made):
    """The round trips a user waits for (each call here follows the one before): the limits' counters, the code, the
    message; a check is a reservation of a try and the delete that uses the code up."""
    aws.client("dynamodb").meta.events.register("provide-client-params.dynamodb.*",
                                                lambda params, model, **_: requests_made.append((model.name, params)))
    send(settings)
    assert [name for name, _ in requests_made] == ["UpdateItem"] * 3 + ["PutItem", "SendEmail"]
    requests_made.clear()
    send(settings, medium=SMS, address=PHONE)
    assert [name for name, _ in requests_made] == ["UpdateItem"] * 4 + ["PutItem", "Publish"]
    requests_made.clear()
    check_code(settings, channel=CHANNEL_LOGIN, address=PHONE, code=the_code(outbox.messages()[0]["text"]),
               digest_key=KEY, now=NOW + 1)
    assert [name for name, _ in requests_made] == ["UpdateItem", "DeleteItem"]
