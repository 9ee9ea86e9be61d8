"""POST /api/v3/send-sms `{channel, phoneNumber, phoneCountryCode?}` and /api/v3/send-email `{channel, email}`: a
one-time code for a sign-up, a passcode sign-in, a reset or a bind, as Authing's SDKs ask for it (sendSms, sendEmail).

The answer is the same empty success whether or not the address belongs to an account, and so is the work: one read
of the address's identifier item, the send limits, one stored code and one message (codes.passcodes.send_code), so
neither the answer, the AWS calls nor their time tell a caller who has an account. A refusal depends on the address
and the caller only: too soon (Authing's one per minute), too many, a country SMS may not go to, a spent budget.
"""

from __future__ import annotations

import time

from oidc_core import aws
from oidc_core.codes import passcodes
from oidc_core.endpoints.authing.code_key import digest_key
from oidc_core.codes.channels import CHANNEL_REGISTER, EMAIL, SMS, channel_for
from oidc_core.codes.limits import SendRefused
from oidc_core.codes.policy import load_code_policy
from oidc_core.config import Settings
from oidc_core.endpoints.authing import apps
from oidc_core.endpoints.authing.addresses import email_address, phone_number
from oidc_core.endpoints.authing.request import V3Request
from oidc_core.errors import DependencyUnavailable
from oidc_core.login import audit
from oidc_core.observability import count, logger
from oidc_core.store import users
from oidc_core.store.identifiers import LoginIdentifier

def address_in_use(settings: Settings, identifier: LoginIdentifier) -> bool:
    """Whether a user has this email or phone: one strongly consistent read of its identifier item."""
    with aws.dependency("dynamodb"):
        found = aws.client("dynamodb").get_item(TableName=settings.users_table, Key=users.identifier_key(identifier),
                                                ConsistentRead=True, ProjectionExpression="pk")
    return "Item" in found


def send_sms(request: V3Request, settings: Settings) -> dict:
    channel = channel_for(request.document.get("channel"), SMS)
    return _send(request, settings, channel, SMS, phone_number(request.document, "phoneNumber", "body", settings))


def send_email(request: V3Request, settings: Settings) -> dict:
    channel = channel_for(request.document.get("channel"), EMAIL)
    return _send(request, settings, channel, EMAIL, email_address(request.document, "email", "body"))


def _send(request: V3Request, settings: Settings, channel: str, medium: str, identifier: LoginIdentifier) -> dict:
    policy = load_code_policy()
    if medium == EMAIL and not policy.email_sender:  # not set up (EmailSender empty): before any limit counts
        logger.warning("no email sender configured", extra={"channel": channel})
        raise DependencyUnavailable("ses")
    app = apps.known_app(request, settings)
    if channel == CHANNEL_REGISTER:
        apps.require_sign_up(app, settings)  # no sign-up code from an app people may not sign up through
    in_use = address_in_use(settings, identifier)
    try:
        delivered = passcodes.send_code(settings, policy, channel=channel, medium=medium,
                                        address=identifier.value, address_in_use=in_use,
                                        source_ip=request.sender.source_ip, locale=request.locale,
                                        digest_key=digest_key(), now=int(time.time()))
    except SendRefused as refused:
        logger.info("code refused", extra={"reason": refused.reason, "channel": channel, "medium": medium,
                                           "client_id": app.client_id, "source_ip": request.sender.source_ip,
                                           "identifier_hash": audit.identifier_hash(identifier.key)})
        count("CodeSendsRefused")
        raise
    logger.info("code sent", extra={"delivery": delivered.value, "channel": channel, "medium": medium,
                                    "client_id": app.client_id, "source_ip": request.sender.source_ip,
                                    "identifier_hash": audit.identifier_hash(identifier.key)})
    count("CodesSent")
    return {}
