"""Authing's Python SDK (authing 5.1.0, unchanged) calling the self-service methods against `make dev`: send_email and
send_sms, sign_up_by_email_passcode, sign_up_by_phone_passcode, sign_up_by_username_password and
sign_up_by_email_password, sign_in_by_email_passcode and sign_in_by_phone_passcode, verify_reset_password_request,
reset_password, and update_password with the token set_access_token holds (the SDK sends it bare). Codes are read
from the local outbox. The stack is this module's own: its sends count against no other test's limits."""

from __future__ import annotations

import re

import pytest
from authing import AuthenticationClient

from stack_process import RunningStack

CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"


@pytest.fixture(scope="module")
def stack():
    stack = RunningStack()
    yield stack
    stack.stop()


@pytest.fixture
def sdk(stack) -> AuthenticationClient:
    return AuthenticationClient(app_id=CLIENT_ID, app_secret=CLIENT_SECRET, app_host=stack.base)


def code_sent_to(stack, address: str) -> str:
    status, _, body = stack.json("GET", "/_local/outbox")
    text = next(message["text"] for message in body["messages"] if message["to"] == address)
    (code,) = re.findall(r"(?<![0-9])[0-9]{6}(?![0-9])", text)
    return code


def test_sign_up_sign_in_reset_and_change_by_email(sdk, stack):
    email = "py-sdk@example.com"
    assert sdk.send_email("CHANNEL_REGISTER", email) == {"statusCode": 200, "message": "", "data": {}}
    signed_up = sdk.sign_up_by_email_passcode(email, code_sent_to(stack, email), profile={"nickname": "py"})
    assert signed_up["statusCode"] == 200 and signed_up["data"]["emailVerified"] is True, signed_up

    assert sdk.send_email("CHANNEL_LOGIN", email)["statusCode"] == 200
    signed_in = sdk.sign_in_by_email_passcode(email, code_sent_to(stack, email), options={"scope": "openid email"})
    assert signed_in["statusCode"] == 200 and signed_in["data"]["token_type"] == "Bearer", signed_in
    wrong = sdk.sign_in_by_email_passcode(email, "000000")
    assert (wrong["statusCode"], wrong["message"]) == (400, "invalid credentials provided")

    assert sdk.send_email("CHANNEL_RESET_PASSWORD", email)["statusCode"] == 200
    verified = sdk.verify_reset_password_request("EMAIL_PASSCODE", email_pass_code_payload={
        "email": email, "passCode": code_sent_to(stack, email)})
    assert verified["statusCode"] == 200, verified
    reset = sdk.reset_password("a password from the sdk", verified["data"]["passwordResetToken"])
    assert reset == {"statusCode": 200, "message": "", "data": {"success": True}}

    tokens = sdk.sign_in_by_email_password(email, "a password from the sdk")["data"]
    sdk.set_access_token(tokens["access_token"])
    changed = sdk.update_password("another sdk password", old_password="a password from the sdk")
    assert changed["statusCode"] == 200, changed
    assert sdk.sign_in_by_email_password(email, "another sdk password")["statusCode"] == 200


def test_sms_sign_up_and_sign_in_by_phone(sdk, stack):
    assert sdk.send_sms("CHANNEL_REGISTER", "13900139111", phone_country_code="+86")["statusCode"] == 200
    signed_up = sdk.sign_up_by_phone_passcode("13900139111", code_sent_to(stack, "+8613900139111"),
                                              phone_country_code="+86")
    assert signed_up["statusCode"] == 200 and signed_up["data"]["phoneVerified"] is True, signed_up
    assert sdk.send_sms("CHANNEL_LOGIN", "13900139111")["statusCode"] == 200
    signed_in = sdk.sign_in_by_phone_passcode("13900139111", code_sent_to(stack, "+8613900139111"),
                                              phone_country_code="+86")
    assert signed_in["statusCode"] == 200, signed_in
    too_soon = sdk.send_sms("CHANNEL_LOGIN", "13900139111")
    assert too_soon["statusCode"] == 429 and too_soon["error"] == "too_many_requests"


def test_password_sign_ups(sdk):
    by_username = sdk.sign_up_by_username_password("py-sdk-user", "a long enough password",
                                                   profile={"givenName": "Py"})
    assert by_username["statusCode"] == 200 and by_username["data"]["givenName"] == "Py", by_username
    by_email = sdk.sign_up_by_email_password("py-sdk-2@example.com", "a long enough password")
    assert by_email["statusCode"] == 200 and by_email["data"]["emailVerified"] is False
    assert sdk.sign_in_by_username_password("py-sdk-user", "a long enough password")["statusCode"] == 200
