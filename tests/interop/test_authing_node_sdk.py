"""Authing's Node SDK (authing-node-sdk 4.0.1, pinned in package.json, unchanged) against `make dev`: for demo-client
with client_secret_post and client_secret_basic, and for the public client demo-spa (`none`), password sign-in by
username, email, phone and account with plain, JSEncrypt (RSA) and sm-crypto (SM2) passwords encrypted to the keys
getSystemInfo read; refresh, introspection, userinfo every way the SDK offers, revocation, client credentials,
buildLogoutUrl followed without following the redirect, a wrong password, and a client that keeps the user's access
token (setAccessToken).

tests/interop/authing_node_sdk.mjs makes the calls and prints what came back and what the SDK sent; the assertions are
here. The stack is this module's own, so its wrong passwords count against nobody else's lockout and per-address
failure budget in the shared `running_stack`."""

from __future__ import annotations

import json
import subprocess

import pytest

from interop.conftest import INTEROP_DIR
from stack_process import RunningStack

SIGNED_OUT = "http://localhost:8080/signed-out"
SCOPE = "openid profile email phone offline_access"
INVALID = {"statusCode": 400, "message": "invalid credentials provided", "error": "invalid_grant", "data": None}
METHODS = ("client_secret_post", "client_secret_basic", "none")
SIGN_INS = [f"{kind} {encryption}" for kind in ("username", "email", "phone", "account")
            for encryption in ("none", "rsa", "sm2")]
USERINFO_WAYS = ("default (GET, query)", "GET query", "GET header", "POST header", "POST body", "POST query")
CLIENT_OF = {"client_secret_post": "demo-client", "client_secret_basic": "demo-client", "none": "demo-spa"}


@pytest.fixture(scope="module")
def stack(node):
    stack = RunningStack()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def runs(stack):
    """One run of authing_node_sdk.mjs per token endpoint auth method, made when a test first asks for it."""
    done = {}

    def run(method: str) -> dict:
        if method not in done:
            result = subprocess.run(["node", str(INTEROP_DIR / "authing_node_sdk.mjs"), stack.base, method],
                                    capture_output=True, text=True, cwd=INTEROP_DIR, timeout=180)
            assert result.returncode == 0, result.stderr
            done[method] = json.loads(result.stdout)
        return done[method]

    return run


@pytest.fixture(params=METHODS)
def sdk(request, runs):
    return runs(request.param)


def sent_to(sdk: dict, path: str) -> list[dict]:
    return [request for request in sdk["sent"] if request["path"] == path]


def test_get_system_info_gives_the_password_keys(sdk):
    assert sdk["system"] == {"keys": ["publicIps", "rsa", "sm2", "version"], "rsa": True, "sm2": 1}


def test_every_identifier_with_every_password_encryption(sdk):
    assert list(sdk["signins"]) == SIGN_INS
    for name, answer in sdk["signins"].items():
        assert answer == {"statusCode": 200, "message": "", "token_type": "Bearer", "expire_in": 3600, "scope": SCOPE,
                          "keys": ["access_token", "expire_in", "id_token", "refresh_token", "scope", "token_type"]
                          }, name


def test_what_the_sdk_sends_to_sign_in(sdk):
    """client_secret_post: the client in the body; client_secret_basic: HTTP Basic; none: only x-authing-app-id."""
    method, client_id = sdk["method"], CLIENT_OF[sdk["method"]]
    # the wrong password, the twelve, the login for setAccessToken; then one more after it (another test's)
    all_sign_ins = sent_to(sdk, "/api/v3/signin")
    assert len(all_sign_ins) == 1 + 12 + 1 + 1
    sign_ins = all_sign_ins[:-1]
    expected_body = ["connection", "passwordPayload", "options"] + (
        ["client_id", "client_secret"] if method == "client_secret_post" else [])
    expected_authorization = f"Basic {client_id}:…" if method == "client_secret_basic" else None
    for request in sign_ins:
        assert request["method"] == "POST" and request["body"] == expected_body, request
        assert request["authorization"] == expected_authorization and request["app_id_header"] == client_id
    encryptions = [request["options"]["passwordEncryptType"] for request in sign_ins[1:13]]
    assert encryptions == ["none", "rsa", "sm2"] * 4
    assert [request["password_payload"] for request in sign_ins[1:13:3]] == [
        ["password", kind] for kind in ("username", "email", "phone", "account")]


def test_what_the_sdk_sends_to_the_token_introspection_and_revocation_endpoints(sdk):
    method, client_id = sdk["method"], CLIENT_OF[sdk["method"]]
    requests = [request for path in ("/oidc/token", "/oidc/token/introspection", "/oidc/token/revocation")
                for request in sent_to(sdk, path)]
    assert requests
    for request in requests:
        credentials_in_body = {"client_id", "client_secret"} & set(request["body"])
        if "scope" in request["body"]:  # client credentials: the access key pair in the body, whatever the method
            assert credentials_in_body == {"client_id", "client_secret"}
        elif method == "client_secret_post":
            assert credentials_in_body == {"client_id", "client_secret"}
        elif method == "client_secret_basic":
            assert not credentials_in_body
        else:
            assert credentials_in_body == {"client_id"}
        if method == "client_secret_basic":
            assert request["authorization"] == f"Basic {client_id}:…", request
        else:
            assert request["authorization"] in (None, "(a value without a scheme)"), request


def test_tokens_verify_with_the_sdks_own_jwks_check(stack, sdk):
    """parseIDToken and parseAccessToken fetch /oidc/.well-known/jwks.json and verify the signature by kid."""
    client_id = CLIENT_OF[sdk["method"]]
    id_token, access_token = sdk["id_token"], sdk["access_token"]
    assert id_token["iss"] == access_token["iss"] == f"{stack.base}/oidc"
    assert id_token["aud"] == access_token["aud"] == access_token["client_id"] == client_id
    assert id_token["sub"] == access_token["sub"]
    assert id_token["preferred_username"] == "demo" and id_token["email"] == "demo@example.com"
    assert id_token["phone_number"] == "+8613800138000"
    assert access_token["scope"] == SCOPE


def test_refresh_rotates(sdk):
    refresh = sdk["refresh"]
    assert refresh["rotated"] is True and refresh["token_type"] == "Bearer" and refresh["scope"] == SCOPE
    assert refresh["keys"] == ["access_token", "expires_in", "id_token", "refresh_token", "scope", "token_type"]


def _introspected(answer: dict, method: str) -> dict:
    """What an introspection said; a public client may not introspect (RFC 7662 §2.1): 401 invalid_client."""
    if method == "none":
        assert (answer["failed"], answer["status"], answer["data"]["error"]) == (True, 401, "invalid_client"), answer
        return {}
    assert answer["failed"] is False, answer
    return answer["value"]


def test_introspection(sdk):
    sub, client_id = sdk["id_token"]["sub"], CLIENT_OF[sdk["method"]]
    access = _introspected(sdk["introspection"]["access"], sdk["method"])
    refresh = _introspected(sdk["introspection"]["refresh"], sdk["method"])
    if sdk["method"] == "none":
        return
    assert access["active"] is True and access["sub"] == sub and access["client_id"] == client_id
    assert access["token_type"] == "Bearer" and access["scope"] == SCOPE
    assert refresh["active"] is True and refresh["sub"] == sub and refresh["client_id"] == client_id


def test_userinfo_every_way_the_sdk_offers(sdk):
    """GET with the token in the query (the SDK's default), POST with it in the body, Bearer with GET and POST, and
    POST with it in the query."""
    assert list(sdk["userinfo"]) == list(USERINFO_WAYS)
    for way, answer in sdk["userinfo"].items():
        assert answer["failed"] is False, (way, answer)
        assert answer["value"]["sub"] == sdk["id_token"]["sub"], way
        assert answer["value"]["email"] == "demo@example.com" and answer["value"]["name"] == "Demo User", way
    sent = sent_to(sdk, "/oidc/me")[:len(USERINFO_WAYS)]
    assert [(request["method"], request["query"], request["body"], request["authorization"]) for request in sent] == [
        ("GET", ["access_token"], [], None), ("GET", ["access_token"], [], None), ("GET", [], [], "Bearer"),
        ("POST", [], [], "Bearer"), ("POST", [], ["access_token"], None), ("POST", ["access_token"], [], None)]


def test_revocation(sdk):
    revocation = sdk["revocation"]
    assert revocation["access"] is True and revocation["refresh"] is True
    if sdk["method"] != "none":
        assert _introspected(revocation["access_introspection"], sdk["method"]) == {"active": False}
        assert _introspected(revocation["refresh_introspection"], sdk["method"]) == {"active": False}
    userinfo = revocation["userinfo"]
    assert (userinfo["failed"], userinfo["status"], userinfo["data"]["error"]) == (True, 401, "invalid_token")
    grant = revocation["refresh_grant"]
    assert (grant["failed"], grant["status"], grant["data"]["error"]) == (True, 400, "invalid_grant")


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_client_credentials(runs, method):
    """getAccessTokenByClientCredentials sends its accessKey/accessSecret in the body; with client_secret_basic the
    SDK adds the app's Basic header too, which names the same client with the same secret."""
    assert runs(method)["client_credentials"] == {
        "failed": False, "keys": ["access_token", "expires_in", "scope", "token_type"], "token_type": "Bearer",
        "scope": "demo:read"}


def test_build_logout_url_followed(sdk):
    logout = sdk["logout"]
    assert logout["path"] == "/oidc/session/end"
    assert logout["query"] == {"post_logout_redirect_uri": SIGNED_OUT, "state": logout["state"],
                               "id_token_hint": "(the id_token)"}
    assert logout["status"] == 302
    assert logout["location"] == f"{SIGNED_OUT}?state={logout['state']}"
    after = logout["refresh_after"]  # that session has ended
    assert (after["failed"], after["status"], after["data"]["error"]) == (True, 400, "invalid_grant")


def test_a_wrong_password_rejects_with_the_envelope(sdk):
    """axios rejects every non-2xx answer, and ours carries the envelope's status: the SDK's promise rejects with an
    AxiosError whose response is the envelope (not a resolved `{statusCode: 400}`; see docs/authing-sdks.md)."""
    wrong = sdk["wrong_password"]
    assert (wrong["failed"], wrong["name"], wrong["status"], wrong["data"]) == (True, "AxiosError", 400, INVALID)


def test_a_client_that_keeps_the_users_access_token(sdk):
    """After setAccessToken the SDK sends that token without a scheme as the Authorization of every request that has
    no Basic; the sign-in, token, introspection and revocation endpoints ignore it (the client is in the body)."""
    with_token = sdk["with_access_token"]
    for step in ("sign_in", "refresh", "revocation") + (
            ("introspection", "client_credentials") if sdk["method"] != "none" else ()):
        assert with_token[step]["failed"] is False, (step, with_token[step])
    assert _introspected(with_token["introspection"], sdk["method"]).get("active", True) is True
    unscheme = [request for request in sdk["sent"] if request["authorization"] == "(a value without a scheme)"]
    paths = {request["path"] for request in unscheme}
    expected = {"/oidc/me"} | ({"/api/v3/signin", "/oidc/token", "/oidc/token/introspection",
                                "/oidc/token/revocation"} if sdk["method"] != "client_secret_basic" else set())
    assert paths == expected


def test_userinfo_from_a_client_that_keeps_the_users_access_token(sdk):
    failed = {way: (answer["status"], answer["data"]) for way, answer in sdk["with_access_token"]["userinfo"].items()
              if answer["failed"]}
    assert failed == {}
