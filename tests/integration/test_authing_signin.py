"""POST /api/v3/signin (Authing's password sign-in, as its SDKs send it), through the real TokenFunction handler:
the envelope, every identifier field, encrypted passwords, the ways a client names itself, and the one credential
path it shares with the password grant."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from helpers import CLIENT_ID, CLIENT_SECRET, PASSWORD, Reply, basic_auth, configure
from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt
from oidc_tools.local.lambda_events import LambdaContext, http_api_event
from oidc_tools.stack.operations import create_client, create_user

INVALID = {"statusCode": 400, "message": "invalid credentials provided", "error": "invalid_grant", "data": None}


@pytest.fixture
def sign_in(handlers, client, user):
    def send(payload: dict | None = None, *, body: bytes | None = None, options: dict | None = None,
             credentials: str = "body", headers: dict | None = None, ip: str = "198.51.100.7") -> Reply:
        document = {"connection": "PASSWORD", "passwordPayload": payload or {"username": "alice", "password": PASSWORD},
                    "options": options or {}}
        sent = {"content-type": "application/json", "x-authing-app-id": CLIENT_ID, **(headers or {})}
        if credentials == "body":
            document.update(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        elif credentials == "basic":
            sent["authorization"] = basic_auth(CLIENT_ID, CLIENT_SECRET)
        event = http_api_event("POST", "/api/v3/signin", route_key="POST /api/v3/signin", headers=list(sent.items()),
                               body=body if body is not None else json.dumps(document).encode(), source_ip=ip)
        return Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction")))

    return send


def test_a_sign_in_answers_authings_envelope_with_the_password_grants_tokens(sign_in, call_discovery, user):
    reply = sign_in(options={"scope": "openid profile email offline_access"})
    assert reply.status == 200, reply
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert body["statusCode"] == 200 and set(body) == {"statusCode", "message", "data"}
    data = body["data"]
    assert set(data) == {"access_token", "id_token", "refresh_token", "token_type", "expire_in", "scope"}
    assert data["expire_in"] == 3600 and data["token_type"] == "Bearer"
    key = jwt.PyJWK(call_discovery("/oidc/.well-known/jwks.json").json()["keys"][0]).key
    assert jwt.decode(data["id_token"], key, algorithms=["RS256"], audience=CLIENT_ID)["sub"] == user.sub


@pytest.mark.parametrize("payload", [
    {"username": "Alice"}, {"email": "alice@example.com"}, {"phone": "13800138000"},
    {"account": "alice"}, {"account": "ALICE@example.com"}, {"account": "+86 138 0013 8000"},
])
def test_every_identifier_field(sign_in, payload):
    reply = sign_in({**payload, "password": PASSWORD})
    assert reply.status == 200, (payload, reply)


def test_an_account_that_could_be_a_phone_or_a_username_is_the_phone_first(sign_in, stack):
    """The documented rule: '@' makes an email; else a phone number some user has; else a username."""
    create_user(stack.target, "digits password", username="13900139000")
    phone_owner = create_user(stack.target, "phone password", phone="13900139000")
    assert sign_in({"account": "13900139000", "password": "phone password"}).status == 200
    assert sign_in({"account": "13900139000", "password": "digits password"}).json() == INVALID
    assert sign_in({"username": "13900139000", "password": "digits password"}).status == 200
    assert phone_owner.phone_number == "+8613900139000"


def test_encrypted_passwords(sign_in, call_discovery):
    system = call_discovery("/api/v3/system").json()
    public_key = serialization.load_pem_public_key(system["rsa"]["publicKey"].encode())
    rsa_password = rsa_encrypt(PASSWORD, public_key)
    sm2_password = sm2_encrypt(PASSWORD.encode(), system["sm2"]["publicKey"])
    for encrypt_type, password in (("rsa", rsa_password), ("sm2", sm2_password)):
        reply = sign_in({"email": "alice@example.com", "password": password},
                        options={"passwordEncryptType": encrypt_type})
        assert reply.status == 200, (encrypt_type, reply)


@pytest.mark.parametrize("credentials", ["body", "basic"])
def test_a_confidential_client_in_the_body_or_as_basic(sign_in, credentials):
    assert sign_in(credentials=credentials).status == 200


def test_a_public_client_by_its_app_id_header(sign_in, stack):
    create_client(stack.target, "spa", auth_method="none")
    assert sign_in(credentials="none", headers={"x-authing-app-id": "spa"}).status == 200
    # A confidential client cannot sign in by naming itself.
    reply = sign_in(credentials="none")
    assert reply.status == 401 and reply.json()["error"] == "invalid_client" and reply.json()["statusCode"] == 401


@pytest.mark.parametrize("payload", [
    {"username": "alice", "password": "wrong"}, {"username": "nobody", "password": PASSWORD},
    {"account": "nobody@example.com", "password": PASSWORD}, {"username": "ali\u200bce", "password": PASSWORD},
])
def test_every_credential_failure_is_one_envelope(sign_in, payload):
    reply = sign_in(payload)
    assert (reply.status, reply.json()) == (400, INVALID)


def test_a_lockout_earned_here_holds_at_the_token_endpoint_and_back(sign_in, call_token, password_form, monkeypatch):
    configure(monkeypatch, LOCKOUT_BASE_SECONDS=3600)
    for n in range(5):
        assert sign_in({"username": "alice", "password": f"wrong-{n}"}).json() == INVALID
    reply = call_token(password_form())  # the same address: locked at the other endpoint too
    assert (reply.status, reply.json()["error"]) == (400, "invalid_grant")
    assert sign_in(ip="203.0.113.5").status == 200
    for n in range(5):
        assert call_token(password_form(password=f"wrong-{n}", username="Alice@Example.com")).status == 400
    assert sign_in().json() == INVALID


@pytest.mark.parametrize("body, message", [
    (b"{not json", "JSON"),
    (b"[]", "JSON object"),
    (json.dumps({"connection": "SMS"}).encode(), "connection"),
    (json.dumps({"connection": "PASSWORD"}).encode(), "passwordPayload"),
    (json.dumps({"connection": "PASSWORD", "passwordPayload": {"password": PASSWORD}}).encode(), "exactly one"),
    (json.dumps({"connection": "PASSWORD", "passwordPayload": {"username": "a", "email": "b", "password": "c"}}
                ).encode(), "exactly one"),
    (json.dumps({"connection": "PASSWORD", "passwordPayload": {"username": 42, "password": "c"}}).encode(), "string"),
    (json.dumps({"connection": "PASSWORD", "passwordPayload": {"username": "a", "password": ["c"]}}).encode(),
     "string"),
    (json.dumps({"connection": "PASSWORD", "passwordPayload": {"username": "a", "password": "c"},
                 "options": "x"}).encode(), "options"),
    (b'{"connection": "PASSWORD", "passwordPayload": {"username": "\\ud800", "password": "c"}}', "valid text"),
])
def test_malformed_sign_ins_are_clear_400s(sign_in, body, message):
    reply = sign_in(body=body)
    assert reply.status == 400, reply
    envelope = reply.json()
    assert envelope["statusCode"] == 400 and envelope["error"] == "invalid_request" and envelope["data"] is None
    assert message in envelope["message"]
