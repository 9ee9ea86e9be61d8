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
from oidc_tools.local import outbox
from oidc_tools.local.lambda_events import LambdaContext, http_api_event
from oidc_tools.stack.operations import create_client, update_client

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


@pytest.fixture
def aws_calls():
    """(service, operation, table or None) of every DynamoDB, SES v2 and SNS call the handlers make, in order."""
    made = []

    def record(params, model, **_):
        made.append((model.service_model.service_name, model.name, params.get("TableName")))

    for service in ("dynamodb", "sesv2", "sns"):
        aws.client(service).meta.events.register("provide-client-params", record)
    yield made
    for service in ("dynamodb", "sesv2", "sns"):
        aws.client(service).meta.events.unregister("provide-client-params", record)


@pytest.mark.parametrize("path, channel, field, known, unknown", [
    ("/api/v3/send-email", "CHANNEL_LOGIN", "email", "alice@example.com", "nobody@example.com"),
    ("/api/v3/send-email", "CHANNEL_RESET_PASSWORD", "email", "alice@example.com", "nobody@example.com"),
    ("/api/v3/send-email", "CHANNEL_REGISTER", "email", "alice@example.com", "nobody@example.com"),
    ("/api/v3/send-sms", "CHANNEL_LOGIN", "phoneNumber", PHONE, "+8613900139000"),
    ("/api/v3/send-sms", "CHANNEL_REGISTER", "phoneNumber", PHONE, "+8613900139000"),
])
def test_a_send_answers_and_calls_aws_alike_whether_or_not_the_address_has_an_account(v3, user, aws_calls, path,
                                                                                      channel, field, known, unknown):
    answers, calls = [], []
    for address in (known, unknown):
        aws_calls.clear()
        reply = v3(path, {"channel": channel, field: address})
        answers.append((reply.status, reply.text))
        calls.append(list(aws_calls))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and json.loads(answers[0][1]) == {"statusCode": 200, "message": "", "data": {}}
    assert calls[0] == calls[1]
    assert ("sesv2", "SendEmail", None) in calls[0] or ("sns", "Publish", None) in calls[0]
    # and only the address the code is for got one: an account's login code, a free address's sign-up code
    with_code = known if channel != "CHANNEL_REGISTER" else unknown
    without = unknown if with_code == known else known
    assert re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", messages_to(with_code)[0]["text"])
    assert not re.search(r"[0-9]", messages_to(without)[0]["text"])


def test_a_second_send_within_the_minute_is_authings_rate_limit_answer(v3, user):
    document = {"channel": "CHANNEL_LOGIN", "email": "alice@example.com"}
    assert v3("/api/v3/send-email", document).status == 200
    again = v3("/api/v3/send-email", document)
    assert again.status == 429
    body = again.json()
    assert body["statusCode"] == 429 and body["error"] == "too_many_requests" and body["data"] is None
    assert 0 < int(again.headers["retry-after"]) <= 60
    assert len(messages_to("alice@example.com")) == 1
    # another channel of the same address has a minute of its own
    assert v3("/api/v3/send-email", {**document, "channel": "CHANNEL_RESET_PASSWORD"}).status == 200


def test_an_unknown_channel_is_a_clear_error_that_lists_the_channels(v3):
    reply = v3("/api/v3/send-sms", {"channel": "CHANNEL_VERIFY_EMAIL_LINK", "phoneNumber": PHONE})
    assert reply.status == 400
    body = reply.json()
    assert body["error"] == "invalid_request" and "CHANNEL_LOGIN" in body["message"]
    assert "CHANNEL_VERIFY_EMAIL_LINK" not in body["message"].split(";")[1]  # an email channel is no SMS channel
    assert outbox.messages() == []


def test_sms_to_a_country_not_listed_is_refused_and_nothing_is_sent(v3, aws_calls):
    reply = v3("/api/v3/send-sms", {"channel": "CHANNEL_REGISTER", "phoneNumber": "2025550123",
                                    "phoneCountryCode": "+1"})
    assert reply.status == 400 and reply.json()["message"] == "SMS cannot be sent to this country"
    assert "retry-after" not in reply.headers
    assert outbox.messages() == [] and not [call for call in aws_calls if call[0] == "sns"]


def test_once_the_days_sms_budget_is_spent_no_sms_leaves(v3, monkeypatch):
    configure(monkeypatch, SMS_DAILY_LIMIT=1)
    assert v3("/api/v3/send-sms", {"channel": "CHANNEL_REGISTER", "phoneNumber": "+8613900139001"}).status == 200
    spent = v3("/api/v3/send-sms", {"channel": "CHANNEL_REGISTER", "phoneNumber": "+8613900139002"})
    assert spent.status == 429 and spent.json()["message"].startswith("SMS cannot be sent at the moment")
    assert [message["to"] for message in outbox.messages()] == ["+8613900139001"]
    # email still goes
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "new@example.com"}).status == 200


def test_the_per_ip_limit_counts_before_anything_is_sent(v3, monkeypatch):
    configure(monkeypatch, SENDS_PER_IP_PER_HOUR=2)
    for number in range(2):
        assert v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": f"n{number}@example.com"}).status == 200
    refused = v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "n9@example.com"})
    assert refused.status == 429 and "network" in refused.json()["message"]
    assert len(outbox.messages()) == 2


@pytest.mark.parametrize("app, error", [(None, "invalid_request"), ("no-such-app", "invalid_client")])
def test_the_app_must_be_named_and_known(v3, app, error):
    for path, document in (("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "new@example.com"}),
                           ("/api/v3/signup", {"connection": "PASSWORD", "passwordPayload": {
                               "username": "newbie", "password": "a long enough password"}})):
        reply = v3(path, document, app=app)
        assert reply.status == 400 and reply.json()["error"] == error, reply
    assert outbox.messages() == []


# -- sign-up ----------------------------------------------------------------------------------------------------------

def test_a_password_sign_up_by_username_creates_a_user_who_can_sign_in(v3, stack):
    reply = v3("/api/v3/signup", {"connection": "PASSWORD",
                                  "passwordPayload": {"username": "newbie", "password": "a long enough password"},
                                  "profile": {"nickname": "nb", "givenName": "New", "familyName": "Bie",
                                              "locale": "en", "picture": "https://ignored.example/p.png"}})
    assert reply.status == 200, reply
    data = reply.json()["data"]
    assert data["username"] == "newbie" and data["givenName"] == "New"
    created = users.find_by_sub(stack.target.users_table, data["userId"])
    assert created.profile == {"nickname": "nb", "given_name": "New", "family_name": "Bie", "locale": "en"}
    assert created.password_hash.startswith("$argon2id$")
    assert password_sign_in(v3, "newbie", "a long enough password").status == 200


def test_a_password_sign_up_by_email_is_unverified(v3, stack):
    reply = v3("/api/v3/signup", {"connection": "PASSWORD",
                                  "passwordPayload": {"email": "New@Example.com", "password": "a long enough password"}})
    assert reply.status == 200, reply
    assert reply.json()["data"]["emailVerified"] is False
    assert users.find_by_sub(stack.target.users_table, reply.json()["data"]["userId"]).email_verified is False


@pytest.mark.parametrize("password, says", [("short", "at least 8"), ("newbie", "at least 8"),
                                            ("newbie-the-user", "own username")])
def test_the_password_policy_holds_at_sign_up(v3, password, says):
    username = "newbie-the-user" if "own" in says else "newbie"
    reply = v3("/api/v3/signup", {"connection": "PASSWORD",
                                  "passwordPayload": {"username": username, "password": password}})
    assert reply.status == 400 and says in reply.json()["message"], reply


def test_a_password_sign_up_with_a_taken_email_answers_as_a_success_and_changes_nothing(v3, user, stack):
    before = users.find_by_sub(stack.target.users_table, user.sub)
    taken = v3("/api/v3/signup", {"connection": "PASSWORD",
                                  "passwordPayload": {"email": "alice@example.com", "password": "another password"}})
    free = v3("/api/v3/signup", {"connection": "PASSWORD",
                                 "passwordPayload": {"email": "free@example.com", "password": "another password"}})
    assert taken.status == free.status == 200
    shape = {key: value for key, value in taken.json()["data"].items() if key not in ("userId", "email")}
    assert shape == {key: value for key, value in free.json()["data"].items() if key not in ("userId", "email")}
    assert users.find_by_sub(stack.target.users_table, taken.json()["data"]["userId"]) is None
    assert users.find_by_sub(stack.target.users_table, user.sub).password_hash == before.password_hash
    assert password_sign_in(v3, "alice@example.com", "another password").json() == INVALID
    assert password_sign_in(v3, "alice@example.com", PASSWORD).status == 200


def test_a_taken_username_is_said_to_be_taken(v3, user):
    reply = v3("/api/v3/signup", {"connection": "PASSWORD",
                                  "passwordPayload": {"username": "ALICE", "password": "a long enough password"}})
    assert reply.status == 400 and "already uses" in reply.json()["message"]


def test_a_passcode_sign_up_verifies_the_address_and_the_code_is_single_use(v3, stack):
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "coded@example.com"}).status == 200
    code = last_code("coded@example.com")
    document = {"connection": "PASSCODE", "passCodePayload": {"email": "coded@example.com", "passCode": code},
                "profile": {"name": "Coded"}}
    reply = v3("/api/v3/signup", document)
    assert reply.status == 200, reply
    data = reply.json()["data"]
    assert data["emailVerified"] is True and data["name"] == "Coded"
    created = users.find_by_sub(stack.target.users_table, data["userId"])
    assert created.email_verified and created.password_hash.startswith("$argon2id$")
    again = v3("/api/v3/signup", {**document, "passCodePayload": {"email": "other@example.com", "passCode": code}})
    assert again.status == 400 and again.json()["message"] == WRONG_CODE
    assert v3("/api/v3/signup", document).json()["message"] == WRONG_CODE  # used up


def test_a_phone_passcode_sign_up_verifies_the_phone(v3, stack):
    assert v3("/api/v3/send-sms", {"channel": "CHANNEL_REGISTER", "phoneNumber": "13900139000"}).status == 200
    reply = v3("/api/v3/signup", {"connection": "PASSCODE", "passCodePayload": {
        "phone": "13900139000", "phoneCountryCode": "+86", "passCode": last_code("+8613900139000")}})
    assert reply.status == 200, reply
    assert users.find_by_sub(stack.target.users_table, reply.json()["data"]["userId"]).phone_number_verified


def test_a_passcode_sign_up_for_a_taken_address_answers_as_a_wrong_code(v3, user):
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "alice@example.com"}).status == 200
    (told,) = messages_to("alice@example.com")
    assert "already has one" in told["text"]
    for guess in ("000000", "123456"):
        reply = v3("/api/v3/signup", {"connection": "PASSCODE",
                                      "passCodePayload": {"email": "alice@example.com", "passCode": guess}})
        assert reply.status == 400 and reply.json()["message"] == WRONG_CODE


def test_a_code_is_dead_after_five_wrong_tries(v3):
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "tries@example.com"}).status == 200
    code = last_code("tries@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert v3("/api/v3/signup", {"connection": "PASSCODE", "passCodePayload": {
            "email": "tries@example.com", "passCode": wrong}}).json()["message"] == WRONG_CODE
    reply = v3("/api/v3/signup", {"connection": "PASSCODE",
                                  "passCodePayload": {"email": "tries@example.com", "passCode": code}})
    assert reply.status == 400 and reply.json()["message"] == WRONG_CODE


def test_sign_up_can_be_closed_for_the_stack_and_for_one_app(v3, stack, monkeypatch):
    document = {"connection": "PASSWORD", "passwordPayload": {"username": "newbie", "password": "a long password"}}
    update_client(stack.target, CLIENT_ID, no_sign_up=True)
    barred = v3("/api/v3/signup", document)
    assert barred.status == 403 and barred.json()["error"] == "access_denied"
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "n@example.com"}).status == 403
    assert outbox.messages() == []
    create_client(stack.target, "other-app", "other-secret-0123456789")
    assert v3("/api/v3/signup", document, app="other-app").status == 200
    configure(monkeypatch, SELF_SIGN_UP="false")
    assert v3("/api/v3/signup", {**document, "passwordPayload": {"username": "second",
                                                                 "password": "a long password"}},
              app="other-app").status == 403


# -- passcode sign-in -------------------------------------------------------------------------------------------------

def test_a_passcode_sign_in_answers_as_the_password_sign_in(v3, user):
    assert v3("/api/v3/send-sms", {"channel": "CHANNEL_LOGIN", "phoneNumber": PHONE}).status == 200
    reply = passcode_sign_in(v3, {"phone": "13800138000", "phoneCountryCode": "+86", "passCode": last_code(PHONE)})
    assert reply.status == 200, reply
    data = reply.json()["data"]
    assert set(data) == {"access_token", "id_token", "refresh_token", "token_type", "expire_in", "scope"}
    again = passcode_sign_in(v3, {"phone": PHONE, "passCode": last_code(PHONE)})
    assert again.json() == INVALID  # single use


def test_a_wrong_dead_or_foreign_code_answers_as_a_wrong_password(v3, user):
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "nobody@example.com"}).status == 200
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_LOGIN", "email": "alice@example.com"}).status == 200
    code = last_code("alice@example.com")
    wrong_password = password_sign_in(v3, "alice@example.com", "wrong password")
    for payload in ({"email": "alice@example.com", "passCode": f"{(int(code) + 1) % 1_000_000:06d}"},
                    {"email": "nobody@example.com", "passCode": last_code("nobody@example.com")},  # a sign-up code
                    {"email": "nobody@example.com", "passCode": code}):
        reply = passcode_sign_in(v3, payload)
        assert (reply.status, reply.json()) == (wrong_password.status, wrong_password.json()) == (400, INVALID)


def test_wrong_codes_count_toward_the_accounts_lockout(v3, user, monkeypatch):
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD=3, LOCKOUT_BASE_SECONDS=600)
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_LOGIN", "email": "alice@example.com"}).status == 200
    code = last_code("alice@example.com")
    for wrong in ("000001", "000002", "000003"):
        assert passcode_sign_in(v3, {"email": "alice@example.com", "passCode": wrong}).json() == INVALID
    # locked from this address: the right password, and the right code, are refused alike; elsewhere not
    assert password_sign_in(v3, "alice", PASSWORD).json() == INVALID
    assert passcode_sign_in(v3, {"email": "alice@example.com", "passCode": code}).json() == INVALID
    assert password_sign_in(v3, "alice", PASSWORD, ip="203.0.113.9").status == 200


# -- a forgotten password ---------------------------------------------------------------------------------------------

def reset_token(v3, email: str = "alice@example.com") -> str:
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_RESET_PASSWORD", "email": email}).status == 200
    reply = v3("/api/v3/verify-reset-password-request", {
        "verifyMethod": "EMAIL_PASSCODE", "emailPassCodePayload": {"email": email, "passCode": last_code(email)}})
    assert reply.status == 200, reply
    data = reply.json()["data"]
    assert data["tokenExpiresIn"] == 600 and len(data["passwordResetToken"]) >= 43
    return data["passwordResetToken"]


def test_a_reset_sets_the_password_and_ends_every_session_of_the_user(v3, user, stack, call_token):
    signed_in = password_sign_in(v3, "alice", PASSWORD).json()["data"]
    token = reset_token(v3)
    stored = aws.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]
    assert not [item for item in stored if token in json.dumps(item)]  # only a digest is kept
    reply = v3("/api/v3/reset-password", {"password": "a brand new password", "passwordResetToken": token})
    assert reply.status == 200 and reply.json()["data"] == {"success": True}
    assert password_sign_in(v3, "alice", PASSWORD).json() == INVALID
    assert password_sign_in(v3, "alice", "a brand new password").status == 200
    refreshed = call_token({"grant_type": "refresh_token", "refresh_token": signed_in["refresh_token"],
                            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert refreshed.status == 400 and refreshed.json()["error"] == "invalid_grant"
    # browser sessions end with the same epoch: a session that began before the reset is no longer live
    from oidc_core import config
    from oidc_core.store import browser_sessions

    _, session = browser_sessions.start(config.settings(), sub=user.sub, user_epoch=user.session_epoch, now=1)
    assert not session.live_for(users.find_by_sub(stack.target.users_table, user.sub), 2)


def test_a_reset_token_is_single_use(v3, user):
    token = reset_token(v3)
    assert v3("/api/v3/reset-password", {"password": "a brand new password", "passwordResetToken": token}).status == 200
    again = v3("/api/v3/reset-password", {"password": "yet another password", "passwordResetToken": token})
    assert again.status == 400 and again.json()["error"] == "invalid_grant"
    assert password_sign_in(v3, "alice", "a brand new password").status == 200


def test_a_reset_refused_by_the_policy_keeps_the_token(v3, user):
    token = reset_token(v3)
    weak = v3("/api/v3/reset-password", {"password": "alice", "passwordResetToken": token})
    assert weak.status == 400 and "at least 8" in weak.json()["message"]
    assert v3("/api/v3/reset-password", {"password": "a brand new password", "passwordResetToken": token}).status == 200


def test_a_reset_clears_the_accounts_lockout(v3, user, monkeypatch):
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD=3, LOCKOUT_USER_THRESHOLD=3, LOCKOUT_BASE_SECONDS=600)
    for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert password_sign_in(v3, "alice", "wrong password", ip=ip).json() == INVALID
    assert password_sign_in(v3, "alice", PASSWORD).json() == INVALID  # locked everywhere
    reply = v3("/api/v3/reset-password", {"password": "a brand new password", "passwordResetToken": reset_token(v3)})
    assert reply.status == 200
    assert password_sign_in(v3, "alice", "a brand new password", ip="198.51.100.99").status == 200


def test_a_reset_request_with_a_wrong_code_or_an_unknown_address_gets_no_token(v3, user):
    assert v3("/api/v3/send-email", {"channel": "CHANNEL_RESET_PASSWORD", "email": "nobody@example.com"}).status == 200
    assert "no account uses it" in messages_to("nobody@example.com")[0]["text"]
    for payload in ({"email": "nobody@example.com", "passCode": "123456"},
                    {"email": "alice@example.com", "passCode": "123456"}):
        reply = v3("/api/v3/verify-reset-password-request", {"verifyMethod": "EMAIL_PASSCODE",
                                                             "emailPassCodePayload": payload})
        assert reply.status == 400 and reply.json()["message"] == WRONG_CODE


def test_a_phone_reset_request(v3, user):
    assert v3("/api/v3/send-sms", {"channel": "CHANNEL_RESET_PASSWORD", "phoneNumber": PHONE}).status == 200
    reply = v3("/api/v3/verify-reset-password-request", {"verifyMethod": "PHONE_PASSCODE", "phonePassCodePayload": {
        "phoneNumber": "13800138000", "phoneCountryCode": "+86", "passCode": last_code(PHONE)}})
    assert reply.status == 200 and reply.json()["data"]["passwordResetToken"]


# -- changing a password ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["", "Bearer "])
def test_update_password_takes_the_token_bare_or_bearer_and_checks_the_old_password(v3, user, call_token,
                                                                                    call_session, scheme):
    signed_in = password_sign_in(v3, "alice", PASSWORD).json()["data"]
    headers = {"authorization": scheme + signed_in["access_token"]}
    wrong = v3("/api/v3/update-password", {"newPassword": "a brand new password", "oldPassword": "not it"},
               headers=headers)
    assert wrong.json() == INVALID
    missing = v3("/api/v3/update-password", {"newPassword": "a brand new password"}, headers=headers)
    assert missing.status == 400 and missing.json()["message"] == "oldPassword is required"
    reply = v3("/api/v3/update-password", {"newPassword": "a brand new password", "oldPassword": PASSWORD},
               headers=headers)
    assert reply.status == 200, reply
    assert password_sign_in(v3, "alice", "a brand new password").status == 200
    assert password_sign_in(v3, "alice", PASSWORD).json() == INVALID
    # other sessions end (the refresh family too: the access token names none); the calling token stays valid
    refreshed = call_token({"grant_type": "refresh_token", "refresh_token": signed_in["refresh_token"],
                            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert refreshed.status == 400
    assert call_session("GET", "/oidc/me", headers={"authorization": f"Bearer {signed_in['access_token']}"}).status \
        == 200


def test_wrong_old_passwords_count_toward_the_lockout(v3, user, monkeypatch):
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD=3, LOCKOUT_BASE_SECONDS=600)
    token = password_sign_in(v3, "alice", PASSWORD).json()["data"]["access_token"]
    for _ in range(3):
        assert v3("/api/v3/update-password", {"newPassword": "a brand new password", "oldPassword": "guess"},
                  headers={"authorization": token}).json() == INVALID
    locked = v3("/api/v3/update-password", {"newPassword": "a brand new password", "oldPassword": PASSWORD},
                headers={"authorization": token})
    assert locked.json() == INVALID


def test_update_password_needs_a_live_access_token(v3, user):
    for headers in ({}, {"authorization": "not-a-token"}):
        reply = v3("/api/v3/update-password", {"newPassword": "a brand new password", "oldPassword": PASSWORD},
                   headers=headers)
        assert reply.status == 401, reply


# -- passwords sent encrypted -----------------------------------------------------------------------------------------

def test_a_sign_up_password_encrypted_to_the_published_keys(v3, call_discovery):
    from cryptography.hazmat.primitives import serialization

    from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

    system = call_discovery("/api/v3/system").json()
    rsa_key = serialization.load_pem_public_key(system["rsa"]["publicKey"].encode())
    for username, encrypt_type, ciphertext in (
            ("rsa-user", "rsa", rsa_encrypt("an rsa password", rsa_key, oaep=system["rsa"]["padding"] == "oaep-sha256")),
            ("sm2-user", "sm2", sm2_encrypt(b"an sm2 password", system["sm2"]["publicKey"]))):
        reply = v3("/api/v3/signup", {"connection": "PASSWORD", "passwordPayload": {
            "username": username, "password": ciphertext}, "options": {"passwordEncryptType": encrypt_type}})
        assert reply.status == 200, reply
        assert password_sign_in(v3, username, f"an {encrypt_type} password").status == 200
    garbled = v3("/api/v3/signup", {"connection": "PASSWORD", "passwordPayload": {
        "username": "garbled", "password": "bm90IGEgY2lwaGVydGV4dA=="}, "options": {"passwordEncryptType": "rsa"}})
    assert garbled.status == 400 and "could not be decrypted" in garbled.json()["message"]


def test_in_a_key_overlap_a_password_encrypted_to_the_previous_key_is_the_one_set(v3, stack, call_discovery):
    """PKCS#1 v1.5 with the wrong key decrypts to pseudo-random bytes (implicit rejection), sometimes valid text: of
    the two candidates only the password may be stored, every time."""
    from cryptography.hazmat.primitives import serialization

    from oidc_core.keys import keyring
    from oidc_core.passwords.decryption import DecryptionFailed
    from oidc_tools.client_encryption import rsa_encrypt
    from oidc_tools.stack.operations import replace_password_keys

    before = call_discovery("/api/v3/system").json()
    assert before["rsa"]["padding"] != "oaep-sha256"  # the default, JSEncrypt's padding
    replace_password_keys(stack.target)
    # past the new keys' activation, inside the overlap: both keys decrypt, the new one first
    secretsmanager = boto3.client("secretsmanager")
    for secret_id, where in ((stack.target.password_keys_secret_id, lambda document: document),
                             (stack.target.public_keys_secret_id, lambda document: document["password_encryption"])):
        document = json.loads(secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"])
        where(document)["publish_at"] -= 3600
        secretsmanager.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))
    keyring.clear_cache()
    from oidc_core import config

    assert len(keyring.password_decryption_keys(config.settings(), "rsa")) == 2
    assert call_discovery("/api/v3/system").json()["rsa"]["publicKey"] != before["rsa"]["publicKey"]
    old_key = serialization.load_pem_public_key(before["rsa"]["publicKey"].encode())
    new_key, _ = keyring.password_decryption_keys(config.settings(), "rsa")
    password = "the password meant"
    # a ciphertext to the old key that the new key decrypts to valid text (about 1 in 100 do): the hard case
    for _ in range(20_000):
        ciphertext = rsa_encrypt(password, old_key)
        try:
            new_key.decrypt_password(ciphertext, config.settings().sm2_cipher_mode)
            break
        except DecryptionFailed:
            continue
    else:
        pytest.fail("no ciphertext the wrong key decrypts to text in 20,000 tries")
    reply = v3("/api/v3/signup", {"connection": "PASSWORD", "passwordPayload": {
        "username": "overlap", "password": ciphertext}, "options": {"passwordEncryptType": "rsa"}})
    assert reply.status == 200, reply
    assert password_sign_in(v3, "overlap", password).status == 200


def test_oidc_admin_bars_and_reopens_sign_up_through_an_app(v3, run_admin):
    document = {"connection": "PASSWORD", "passwordPayload": {"username": "newbie", "password": "a long password"}}
    code, updated, _ = run_admin("client", "update", CLIENT_ID, "--no-sign-up")
    assert code == 0 and updated["sign_up"] is False
    assert v3("/api/v3/signup", document).status == 403
    code, updated, _ = run_admin("client", "update", CLIENT_ID, "--name", "Renamed")  # other changes keep it
    assert code == 0 and updated["sign_up"] is False
    code, updated, _ = run_admin("client", "update", CLIENT_ID, "--sign-up")
    assert code == 0 and updated["sign_up"] is True
    assert v3("/api/v3/signup", document).status == 200


def test_without_a_sender_send_email_is_unavailable_and_counts_nothing(v3, stack, monkeypatch):
    configure(monkeypatch, EMAIL_SENDER="")
    reply = v3("/api/v3/send-email", {"channel": "CHANNEL_REGISTER", "email": "new@example.com"})
    assert reply.status == 503 and reply.json()["error"] == "temporarily_unavailable"
    assert reply.headers["retry-after"]
    items = aws.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]
    assert not [item for item in items if item["pk"]["S"].startswith(("send", "passcode#"))]
    assert outbox.messages() == []


HOSTILE = [{}, {"channel": 7}, {"channel": "CHANNEL_LOGIN", "email": ["a@example.com"]},
           {"channel": "CHANNEL_LOGIN", "phoneNumber": {"n": 1}}, {"channel": "CHANNEL_LOGIN", "email": "a" * 5000},
           {"connection": "PASSCODE", "passCodePayload": "x"}, {"connection": "PASSCODE", "passCodePayload": {
               "email": "a@example.com", "passCode": ["123456"]}}, {"connection": "PASSWORD", "profile": [1]},
           {"connection": "PASSWORD", "passwordPayload": {"username": "u", "password": 12345678}},
           {"verifyMethod": "EMAIL_PASSCODE", "emailPassCodePayload": []}, {"verifyMethod": ["PHONE_PASSCODE"]},
           {"password": 5, "passwordResetToken": 5}, {"password": "long enough!", "passwordResetToken": "x" * 10_000},
           {"newPassword": {}, "oldPassword": []}, {"connection": "PASSCODE", "passCodePayload": {
               "phone": "\ud800", "passCode": "123456"}}]


@pytest.mark.parametrize("path", ["/api/v3/send-email", "/api/v3/send-sms", "/api/v3/signup", "/api/v3/signin",
                                  "/api/v3/verify-reset-password-request", "/api/v3/reset-password",
                                  "/api/v3/update-password"])
def test_hostile_bodies_get_a_clear_error_in_the_envelope_never_a_500(v3, user, path):
    for document in HOSTILE:
        reply = v3(path, document, headers={"authorization": "not-a-token"})
        assert 400 <= reply.status < 500, (document, reply)
        body = reply.json()
        assert body["statusCode"] == reply.status and body["error"] and body["data"] is None, (document, body)
