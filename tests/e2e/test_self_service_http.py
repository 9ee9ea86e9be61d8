"""Authing's v3 self-service calls over HTTP through the local stack (`make dev`): the codes are read from its outbox
(GET /_local/outbox) as a developer would, so the routes from template.yaml, the emulated SES and SNS, and the
functions' shared code key (derived from the audit key both functions read) are all real."""

from __future__ import annotations

import json
import re
import uuid

from oidc_tools.local.stack import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PUBLIC_CLIENT_ID


def v3(stack, path: str, document: dict, headers: dict | None = None) -> tuple[int, dict]:
    status, _, body = stack.json("POST", path, json.dumps(document).encode(),
                                 {"content-type": "application/json", "x-authing-app-id": DEMO_PUBLIC_CLIENT_ID,
                                  **(headers or {})})
    return status, body


def code_sent_to(stack, address: str) -> str:
    status, _, body = stack.json("GET", "/_local/outbox")
    assert status == 200
    text = next(message["text"] for message in body["messages"] if message["to"] == address)
    (code,) = re.findall(r"(?<![0-9])[0-9]{6}(?![0-9])", text)
    return code


def test_sign_up_by_email_code_then_sign_in_by_code_reset_and_change_the_password(running_stack):
    stack, email = running_stack, f"e2e-{uuid.uuid4().hex[:12]}@example.com"
    assert v3(stack, "/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": email}) == (
        200, {"statusCode": 200, "message": "", "data": {}})
    status, signed_up = v3(stack, "/api/v3/signup", {"connection": "PASSCODE", "passCodePayload": {
        "email": email, "passCode": code_sent_to(stack, email)}, "profile": {"nickname": "e2e"}})
    assert status == 200 and signed_up["data"]["emailVerified"] is True, signed_up

    assert v3(stack, "/api/v3/send-email", {"channel": "CHANNEL_LOGIN", "email": email})[0] == 200
    status, signed_in = v3(stack, "/api/v3/signin", {"connection": "PASSCODE", "passCodePayload": {
        "email": email, "passCode": code_sent_to(stack, email)}, "options": {"scope": "openid email"}})
    assert status == 200, signed_in
    status, _, claims = stack.json("GET", "/oidc/me",
                                   headers={"authorization": f"Bearer {signed_in['data']['access_token']}"})
    assert status == 200 and claims["sub"] == signed_up["data"]["userId"] and claims["email_verified"] is True

    assert v3(stack, "/api/v3/send-email", {"channel": "CHANNEL_RESET_PASSWORD", "email": email})[0] == 200
    status, verified = v3(stack, "/api/v3/verify-reset-password-request", {
        "verifyMethod": "EMAIL_PASSCODE", "emailPassCodePayload": {"email": email,
                                                                   "passCode": code_sent_to(stack, email)}})
    assert status == 200, verified
    assert v3(stack, "/api/v3/reset-password", {"password": "first chosen password",
                                                "passwordResetToken": verified["data"]["passwordResetToken"]}) == (
        200, {"statusCode": 200, "message": "", "data": {"success": True}})

    status, tokens = v3(stack, "/api/v3/signin", {"connection": "PASSWORD", "passwordPayload": {
        "email": email, "password": "first chosen password"}, "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET})
    assert status == 200, tokens
    status, changed = v3(stack, "/api/v3/update-password", {
        "oldPassword": "first chosen password", "newPassword": "second chosen password"},
        {"authorization": tokens["data"]["access_token"]})
    assert status == 200, changed
    status, refused = v3(stack, "/api/v3/signin", {"connection": "PASSWORD", "passwordPayload": {
        "email": email, "password": "first chosen password"}, "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET})
    assert status == 400 and refused["error"] == "invalid_grant"


def test_an_sms_code_goes_to_the_outbox_and_a_country_not_listed_is_refused(running_stack):
    number = f"+86139{uuid.uuid4().int % 10 ** 8:08d}"
    assert v3(running_stack, "/api/v3/send-sms", {"channel": "CHANNEL_REGISTER", "phoneNumber": number[3:],
                                                  "phoneCountryCode": "+86"})[0] == 200
    assert re.fullmatch(r"[0-9]{6}", code_sent_to(running_stack, number))
    status, refused = v3(running_stack, "/api/v3/send-sms", {"channel": "CHANNEL_REGISTER",
                                                             "phoneNumber": "+12025550123"})
    assert status == 400 and refused["message"] == "SMS cannot be sent to this country"
