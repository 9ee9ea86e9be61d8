"""Authing's Python SDK (authing 5.1.0, pinned in requirements-dev.txt, unchanged) against `make dev`: password sign-in
with client_secret_post by username, email, phone and account with plain, RSA and SM2 passwords encrypted to the keys
get_system_info read (with oidc_tools.client_encryption: what JSEncrypt and sm-crypto do, which the Node tests run
for real); refresh, introspection, userinfo, revocation, client credentials, build_logout_url followed without
following the redirect, a wrong password; and what the SDK does differently with client_secret_basic and `none`.

The stack is this module's own, so its wrong passwords and refused clients count against nobody else's lockout and
per-address failure budget in the shared `running_stack`."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authing import AuthenticationClient
from cryptography.hazmat.primitives import serialization

from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt
from stack_process import RunningStack

CLIENT_ID, CLIENT_SECRET, PASSWORD = "demo-client", "demo-secret", "demo-password"
SIGNED_OUT = "http://localhost:8080/signed-out"
SCOPE = "openid profile email phone offline_access"
INVALID = {"statusCode": 400, "message": "invalid credentials provided", "error": "invalid_grant", "data": None}
SIGN_IN_METHODS = {"username": ("sign_in_by_username_password", "demo"),
                   "email": ("sign_in_by_email_password", "demo@example.com"),
                   "phone": ("sign_in_by_phone_password", "+8613800138000"),
                   "account": ("sign_in_by_account_password", "demo")}


@pytest.fixture(scope="module")
def stack():
    stack = RunningStack()
    yield stack
    stack.stop()


def sdk(stack, method: str = "client_secret_post", **options) -> AuthenticationClient:
    if method == "none":
        return AuthenticationClient(app_id="demo-spa", app_host=stack.base, token_endpoint_auth_method="none",
                                    introspection_endpoint_auth_method="none",
                                    revocation_endpoint_auth_method="none", **options)
    return AuthenticationClient(app_id=CLIENT_ID, app_secret=CLIENT_SECRET, app_host=stack.base,
                                token_endpoint_auth_method=method, introspection_endpoint_auth_method=method,
                                revocation_endpoint_auth_method=method, **options)


@pytest.fixture
def sent(monkeypatch):
    """Every request the SDK makes (it calls requests.request), as sent: method, path, headers, JSON or form body."""
    log = []
    original = requests.request

    def record(method, url, **kwargs):
        log.append({"method": method, "path": urlsplit(url).path, "headers": kwargs.get("headers") or {},
                    "json": kwargs.get("json"), "data": kwargs.get("data")})
        return original(method, url, **kwargs)

    monkeypatch.setattr(requests, "request", record)
    return log


@pytest.fixture(scope="module")
def system(stack):
    return sdk(stack).get_system_info()


def sign_in(client: AuthenticationClient, kind: str = "username", password: str = PASSWORD,
            **options) -> dict:
    method, identifier = SIGN_IN_METHODS[kind]
    return getattr(client, method)(identifier, password, options={"scope": SCOPE, **options})


def encrypt(system: dict, encryption: str, password: str = PASSWORD) -> str:
    if encryption == "rsa":
        return rsa_encrypt(password, serialization.load_pem_public_key(system["rsa"]["publicKey"].encode()))
    if encryption == "sm2":
        return sm2_encrypt(password.encode(), system["sm2"]["publicKey"])
    return password


def test_get_system_info_gives_the_password_keys(system):
    assert system["rsa"]["publicKey"].startswith("-----BEGIN PUBLIC KEY-----")
    assert len(system["sm2"]["publicKey"]) == 130 and system["sm2"]["cipherMode"] == 1


@pytest.mark.parametrize("encryption", ["none", "rsa", "sm2"])
@pytest.mark.parametrize("kind", list(SIGN_IN_METHODS))
def test_every_identifier_with_every_password_encryption(stack, system, sent, kind, encryption):
    client = sdk(stack)
    answer = sign_in(client, kind, encrypt(system, encryption), passwordEncryptType=encryption)
    assert answer["statusCode"] == 200 and answer["message"] == "", answer
    data = answer["data"]
    assert set(data) == {"access_token", "id_token", "refresh_token", "token_type", "expire_in", "scope"}
    assert (data["token_type"], data["expire_in"], data["scope"]) == ("Bearer", 3600, SCOPE)
    # the SDK's own offline check: the JWKS by kid, RS256, aud = app_id
    claims = client.introspect_token_offline(data["id_token"])
    assert claims["preferred_username"] == "demo" and claims["aud"] == CLIENT_ID
    (request,) = [request for request in sent if request["path"] == "/api/v3/signin"]
    assert request["path"] == "/api/v3/signin" and "authorization" not in request["headers"]
    assert request["headers"]["x-authing-app-id"] == CLIENT_ID
    assert request["json"]["client_id"] == CLIENT_ID and request["json"]["client_secret"] == CLIENT_SECRET
    assert set(request["json"]["passwordPayload"]) == {kind, "password"}
    assert request["json"]["options"]["passwordEncryptType"] == encryption


def test_a_wrong_password_and_an_unknown_user_get_one_envelope(stack):
    """The SDK returns the body whatever the HTTP status (here 400, as statusCode says)."""
    client = sdk(stack)
    assert sign_in(client, password="wrong-password") == INVALID
    assert client.sign_in_by_username_password("nobody-here", PASSWORD) == INVALID
    assert sign_in(client)["statusCode"] == 200  # and a success resets the lockout counter


def test_the_token_lifecycle(stack, sent):
    client = sdk(stack)
    login = sign_in(client)["data"]
    sub = client.introspect_token_offline(login["access_token"])["sub"]

    refreshed = client.get_new_access_token_by_refresh_token(login["refresh_token"])
    assert refreshed["token_type"] == "Bearer" and refreshed["refresh_token"] != login["refresh_token"]
    assert sent[-1]["path"] == "/oidc/token" and sent[-1]["data"]["client_secret"] == CLIENT_SECRET

    access = client.introspect_token(refreshed["access_token"])
    assert access["active"] is True and access["sub"] == sub and access["client_id"] == CLIENT_ID
    assert client.introspect_token(refreshed["refresh_token"])["active"] is True

    userinfo = client.get_user_info_by_access_token(refreshed["access_token"])  # POST with Bearer, nothing else
    assert sent[-1]["method"] == "POST" and sent[-1]["headers"]["authorization"].startswith("Bearer ")
    assert userinfo["sub"] == sub and userinfo["email"] == "demo@example.com"
    assert userinfo["phone_number"] == "+8613800138000"

    assert client.revoke_token(refreshed["access_token"]) is True
    assert client.introspect_token(refreshed["access_token"]) == {"active": False}
    assert client.get_user_info_by_access_token(refreshed["access_token"])["error"] == "invalid_token"
    assert client.revoke_token(refreshed["refresh_token"]) is True
    assert client.introspect_token(refreshed["refresh_token"]) == {"active": False}
    assert client.get_new_access_token_by_refresh_token(refreshed["refresh_token"])["error"] == "invalid_grant"


def test_client_credentials(stack):
    """Authing's access key pair is a programmatic account's; here it is the client's own id and secret."""
    answer = sdk(stack).get_access_token_by_client_credentials("demo:read other:thing", CLIENT_ID, CLIENT_SECRET)
    assert answer["token_type"] == "Bearer" and answer["scope"] == "demo:read"
    assert answer["rejected_scope"] == "other:thing"
    assert "id_token" not in answer and "refresh_token" not in answer


def test_build_logout_url_followed(stack):
    """build_logout_url(redirect_uri, id_token, state) leaves `state` out of the URL it builds (authing 5.1.0), so
    the redirect carries none; an app that needs it appends it."""
    client = sdk(stack)
    first, second = sign_in(client)["data"], sign_in(client, "email")["data"]

    url = client.build_logout_url(redirect_uri=SIGNED_OUT, id_token=first["id_token"], state="dropped-by-the-sdk")
    assert urlsplit(url).path == "/oidc/session/end"
    assert parse_qs(urlsplit(url).query) == {"id_token_hint": [first["id_token"]],
                                             "post_logout_redirect_uri": [SIGNED_OUT]}
    answer = requests.get(url, allow_redirects=False, timeout=30)
    assert (answer.status_code, answer.headers["location"]) == (302, SIGNED_OUT)
    assert client.get_new_access_token_by_refresh_token(first["refresh_token"])["error"] == "invalid_grant"

    url = client.build_logout_url(redirect_uri=SIGNED_OUT, id_token=second["id_token"]) + "&state=af0ifjsldkj"
    answer = requests.get(url, allow_redirects=False, timeout=30)
    assert (answer.status_code, answer.headers["location"]) == (302, f"{SIGNED_OUT}?state=af0ifjsldkj")


def test_client_secret_basic_signs_in_without_any_client_credentials(stack, sent):
    """An SDK defect, asserted as it is: with client_secret_basic the SDK puts the client neither in the body nor in
    an Authorization header at /api/v3/signin (it compares the whole URL with a list of paths, so the Basic header is
    never added), and the service rightly refuses a confidential client that does not authenticate. Refresh,
    introspection and revocation send Basic and work."""
    tokens = sign_in(sdk(stack))["data"]
    client = sdk(stack, "client_secret_basic")
    assert sign_in(client) == {"statusCode": 401, "message": "client authentication failed",
                               "error": "invalid_client", "data": None}
    request = sent[-1]
    assert "authorization" not in request["headers"] and request["headers"]["x-authing-app-id"] == CLIENT_ID
    assert "client_id" not in request["json"] and "client_secret" not in request["json"]

    refreshed = client.get_new_access_token_by_refresh_token(tokens["refresh_token"])
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert sent[-1]["headers"]["authorization"] == f"Basic {basic}" and "client_secret" not in sent[-1]["data"]
    assert client.introspect_token(refreshed["access_token"])["active"] is True
    assert client.revoke_token(refreshed["refresh_token"]) is True
    assert client.introspect_token(refreshed["refresh_token"]) == {"active": False}


def test_a_public_client(stack, sent):
    client = sdk(stack, "none")
    answer = sign_in(client, "phone")
    assert answer["statusCode"] == 200, answer
    assert sent[-1]["headers"]["x-authing-app-id"] == "demo-spa" and "client_id" not in sent[-1]["json"]
    refreshed = client.get_new_access_token_by_refresh_token(answer["data"]["refresh_token"])
    assert refreshed["token_type"] == "Bearer"
    # a public client may not introspect (RFC 7662 §2.1): the SDK hands back the 401's body
    assert client.introspect_token(refreshed["access_token"])["error"] == "invalid_client"
    assert sent[-1]["path"] == "/oidc/token/introspection"
    assert client.revoke_token(refreshed["refresh_token"]) is True


def test_a_client_made_with_the_users_access_token(stack, sent):
    """AuthenticationClient(access_token=…) sends it, without a scheme, as the Authorization of its v3 calls (the
    sign-in too), which the service ignores there: the client is in the body."""
    token = sign_in(sdk(stack))["data"]["access_token"]
    answer = sign_in(sdk(stack, access_token=token), "account")
    assert sent[-1]["headers"]["authorization"] == token
    assert answer["statusCode"] == 200, answer

