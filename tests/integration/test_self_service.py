"""Authing's v3 self-service calls through the real handlers (SelfServiceFunction, and TokenFunction for the passcode
sign-in) against the emulated DynamoDB, Secrets Manager, SES v2 and SNS: codes read back from what SES and SNS were
given (the outbox's reader), every security rule of issue 25 tried by breaking it from the outside."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from helpers import CLIENT_ID, CLIENT_SECRET, PASSWORD, Reply, configure
from oidc_core import aws
from oidc_core.store import users
from oidc_tools import outbox
from oidc_tools.lambda_events import LambdaContext, http_api_event
from oidc_tools.operations import create_client, update_client

SENDER = "no-reply@auth.example.test"
PHONE = "+8613800138000"  # the `user` fixture's
INVALID = {"statusCode": 400, "message": "invalid credentials provided", "error": "invalid_grant", "data": None}
WRONG_CODE = "the code is wrong or has expired; ask for a new one"


@pytest.fixture
def stack_parameters():
    return {"EmailSender": SENDER}


@pytest.fixture
def v3(stack, handlers, client):
    outbox.install()
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)

    def call(path: str, document: dict, *, app: str | None = CLIENT_ID, ip: str = "198.51.100.7",
             headers: dict | None = None) -> Reply:
        function = "TokenFunction" if path == "/api/v3/signin" else "SelfServiceFunction"
        sent = {"content-type": "application/json", **({"x-authing-app-id": app} if app else {}), **(headers or {})}
        event = http_api_event("POST", path, route_key=f"POST {path}", headers=list(sent.items()),
                               body=json.dumps(document).encode(), source_ip=ip)
        return Reply(handlers[function](event, LambdaContext(function)))

    return call


def last_code(to: str) -> str:
    """The code of the newest message to `to` (6 digits, alone)."""
    message = next(message for message in outbox.messages() if message["to"] == to)
    (code,) = re.findall(r"(?<![0-9])[0-9]{6}(?![0-9])", message["text"])
    return code


def messages_to(to: str) -> list[dict]:
    return [message for message in outbox.messages() if message["to"] == to]


def password_sign_in(v3, account: str, password: str, ip: str = "198.51.100.7") -> Reply:
    return v3("/api/v3/signin", {"connection": "PASSWORD", "passwordPayload": {"account": account, "password": password},
                                 "options": {"scope": "openid offline_access"},
                                 "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, ip=ip)


def passcode_sign_in(v3, payload: dict, ip: str = "198.51.100.7") -> Reply:
    return v3("/api/v3/signin", {"connection": "PASSCODE", "passCodePayload": payload,
                                 "options": {"scope": "openid offline_access"},
                                 "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, ip=ip)


# -- sends ------------------------------------------------------------------------------------------------------------

def test_send_email_answers_authings_envelope_and_the_code_arrives(v3, user):
    reply = v3("/api/v3/send-email", {"channel": "CHANNEL_LOGIN", "email": "alice@example.com"})
    assert reply.status == 200, reply
    assert reply.json() == {"statusCode": 200, "message": "", "data": {}}
    assert reply.headers["cache-control"] == "no-store"
    (sent,) = messages_to("alice@example.com")
    assert sent["channel"] == "email" and re.search(r"[0-9]{6}", sent["text"])


def test_send_sms_takes_a_national_number_with_its_country_code(v3, user):
    reply = v3("/api/v3/send-sms", {"channel": "CHANNEL_LOGIN", "phoneNumber": "138 0013 8000",
                                    "phoneCountryCode": "+86"}, headers={"x-authing-lang": "zh-CN"})
    assert reply.status == 200, reply
    (sent,) = messages_to(PHONE)
    assert sent["channel"] == "sms" and sent["text"].startswith("【serverless-oidc】")
