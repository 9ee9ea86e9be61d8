"""Sending a message: email through SES v2 `SendEmail` (simple content, from a verified identity, with an optional
configuration set for bounce and complaint events), SMS through SNS `Publish` to a phone number, transactional.

A failure of either service is a 503 `temporarily_unavailable` (aws.dependency): the caller's send limits have
already counted the attempt, which is what keeps a retry storm during an outage from becoming a flood after it.
"""

from __future__ import annotations

from oidc_core import aws
from oidc_core.codes.addresses import ses_recipient
from oidc_core.codes.texts import Message

# Transactional SMS are routed for delivery rather than price, which is what a one-time code needs (SNS's default,
# Promotional, may be dropped or delayed and is refused by some countries for codes).
SMS_TYPE_ATTRIBUTE = "AWS.SNS.SMS.SMSType"
TRANSACTIONAL = "Transactional"


def send_email(*, sender: str, to: str, message: Message, configuration_set: str = "") -> str:
    """Send one email; returns SES's message id."""
    request = {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [ses_recipient(to)]},
        "Content": {"Simple": {"Subject": {"Data": message.subject or "", "Charset": "UTF-8"},
                               "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}}}},
    }
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    with aws.dependency("ses"):
        return aws.client("sesv2").send_email(**request)["MessageId"]


def send_sms(*, phone: str, message: Message) -> str:
    """Send one SMS to an E.164 number; returns SNS's message id."""
    with aws.dependency("sns"):
        return aws.client("sns").publish(
            PhoneNumber=phone, Message=message.text,
            MessageAttributes={SMS_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": TRANSACTIONAL}},
        )["MessageId"]
