"""Real HTTP against the `make dev` server: what a curl user and a standard OIDC library see."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jwt
import pytest

from stack_process import ROOT, RunningStack, wait_until

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DEMO_LOGIN = {"grant_type": "password", "client_id": "demo-client", "client_secret": "demo-secret",
              "username": "demo", "password": "demo-password"}


def token(stack, form: dict, headers: dict | None = None):
    return stack.json("POST", "/oidc/token", urlencode(form).encode(), {**FORM, **(headers or {})})


def test_ready_line_and_curl_example(running_stack):
    printed = "".join(running_stack.output)
    assert f"ready: http://127.0.0.1:{running_stack.port}" in printed
    assert "curl -X POST" in printed and "/oidc/token" in printed


def test_the_printed_curl_examples_answer_on_lines_of_their_own(running_stack):
    printed = "".join(running_stack.output).replace("\\\n", " ")
    examples = {name: command for name, command in re.findall(r"^  (discovery|token):\s+(curl .*)$", printed, re.M)}
    assert set(examples) == {"discovery", "token"}
    for name, command in examples.items():
        shown = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60).stdout
        assert shown.endswith("}\n"), f"{name}: {shown!r}"  # the shell's prompt starts on a line of its own
        assert json.loads(shown)["issuer" if name == "discovery" else "access_token"]


def test_the_json_answers_are_the_functions_bodies_byte_for_byte(running_stack):
    # API Gateway passes a function's body on as it is: no newline of our own after the JSON
    body = running_stack.request("GET", "/oidc/.well-known/openid-configuration")[2]
    assert body.endswith(b"}")


def test_the_logout_page_ends_with_a_newline(running_stack):
    # an HTML page of our own, which curl users read at the terminal too
    status, headers, body = running_stack.request("GET", "/oidc/session/end")
    # (the page kit's page since issue 24: it ends with </html>, not the old bare page's </p>)
    assert headers["content-type"].startswith("text/html") and body.endswith(b"</html>\n"), (status, body)


def test_demo_login_and_verification_with_a_standard_jwks_client(running_stack):
    status, metadata_headers, metadata = running_stack.json("GET", "/oidc/.well-known/openid-configuration")
    assert status == 200
    assert metadata["issuer"] == f"{running_stack.base}/oidc"

    status, headers, body = token(running_stack, {**DEMO_LOGIN, "scope": "openid profile email phone offline_access"})
    assert status == 200, body
    assert headers["cache-control"] == "no-store" and headers["pragma"] == "no-cache"
    assert body["refresh_token"] and body["token_type"] == "Bearer"

    # PyJWT's PyJWKClient fetches jwks_uri over HTTP and picks the key by kid, as OIDC libraries do.
    signing_key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(body["id_token"])
    claims = jwt.decode(body["id_token"], signing_key.key, algorithms=metadata["id_token_signing_alg_values_supported"],
                        audience="demo-client", issuer=metadata["issuer"])
    assert claims["name"] == "Demo User" and claims["preferred_username"] == "demo"
    assert claims["email"] == "demo@example.com" and claims["email_verified"] is True
    assert claims["phone_number"] == "+8613800138000"


def test_login_by_email_and_by_national_phone_number_with_basic_auth(running_stack):
    basic = {"Authorization": "Basic " + base64.b64encode(b"demo-client:demo-secret").decode()}
    for identifier in ({"email": "DEMO@example.com"}, {"phone": "13800138000"}):
        status, _, body = token(running_stack, {"grant_type": "password", "password": "demo-password", **identifier}, basic)
        assert status == 200, body


def test_json_body_over_http(running_stack):
    status, _, body = running_stack.json("POST", "/oidc/token", json.dumps(DEMO_LOGIN).encode(),
                                         {"Content-Type": "application/json"})
    assert status == 200, body


def test_errors_over_http(running_stack):
    status, _, body = token(running_stack, {**DEMO_LOGIN, "password": "wrong"})
    assert (status, body) == (400, {"error": "invalid_grant", "error_description": "invalid credentials provided"})
    status, headers, body = token(running_stack, {k: v for k, v in DEMO_LOGIN.items() if k != "client_secret"},
                                  {"Authorization": "Basic " + base64.b64encode(b"demo-client:nope").decode()})
    assert status == 401 and body["error"] == "invalid_client" and headers["www-authenticate"].startswith("Basic")
    status, _, body = running_stack.json("GET", "/no/such/route")
    assert status == 404


@pytest.mark.parametrize("origin, allowed", [("http://localhost:8080", True), ("http://127.0.0.1:8080", True),
                                             ("https://app.example.com", False), ("http://localhost:8081", False),
                                             ("null", False)])
def test_cors_allows_the_demo_apps_origins_alone(running_stack, origin, allowed):
    """The demo client's logout page lives at http://localhost:8080: that app may call the local API from a browser,
    other pages may not (the demo user's password is in the README)."""
    status, headers, _ = running_stack.request("OPTIONS", "/oidc/token", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    headers = {name.lower(): value for name, value in headers.items()}
    assert status == 204
    assert headers.get("access-control-allow-origin") == (origin if allowed else None)
    if allowed:
        assert "POST" in headers["access-control-allow-methods"]


def test_the_emulator_is_on_loopback_and_its_address_readable_by_the_user_only(running_stack):
    """The emulator serves the private keys to any caller: it listens on 127.0.0.1 only, and the state file that
    names it is 0600."""
    assert stat.S_IMODE(running_stack.state_file.stat().st_mode) == 0o600
    assert urlsplit(running_stack.state["endpoint_url"]).hostname == "127.0.0.1"
    port = urlsplit(running_stack.state["endpoint_url"]).port
    listening = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port]
    assert listening and all(entry[1].split(":")[0] == "0100007F" for entry in listening)
    assert not any(int(line.split()[1].rsplit(":", 1)[1], 16) == port and line.split()[3] == "0A"
                   for line in Path("/proc/net/tcp6").read_text().splitlines()[1:])


def test_admin_command_against_the_local_stack(running_stack):
    admin = [sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(running_stack.port)]

    def run(*args, stdin=""):
        return subprocess.run([*admin, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60)

    created = run("user", "create", "--username", "e2e-user", "--email", "e2e@example.com", "--name", "E2E",
                  "--password-stdin", stdin="e2e password ☃\n")
    assert created.returncode == 0, created.stderr
    assert "e2e password" not in created.stdout
    login = {**DEMO_LOGIN, "username": "e2e-user", "password": "e2e password ☃"}
    assert token(running_stack, login)[0] == 200

    assert run("user", "block", "--email", "E2E@example.com").returncode == 0
    assert token(running_stack, login)[2]["error"] == "invalid_grant"
    assert run("user", "unblock", "--username", "e2e-user").returncode == 0
    short = run("user", "set-password", "--username", "e2e-user", "--password-stdin", stdin="changed\n")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    same = run("user", "set-password", "--username", "e2e-user", "--password-stdin", stdin="E2E@example.com\n")
    assert same.returncode == 1 and "own username, email" in same.stderr
    assert run("user", "set-password", "--username", "e2e-user", "--password-stdin",
               stdin="changed password\n").returncode == 0
    assert token(running_stack, login)[0] == 400
    login["password"] = "changed password"
    assert token(running_stack, login)[0] == 200

    created = run("client", "create", "e2e-client", "--scopes", "openid email")
    assert created.returncode == 0, created.stderr
    secret = json.loads(created.stdout)["client_secret"]
    status, _, body = token(running_stack, {**login, "client_id": "e2e-client", "client_secret": secret,
                                            "scope": "openid email"})
    assert status == 200, body
    status, _, body = token(running_stack, {**login, "client_id": "e2e-client", "client_secret": secret,
                                            "scope": "openid phone"})
    assert body["error"] == "invalid_scope"

    duplicate = run("user", "create", "--username", "E2E-USER", "--password-stdin", stdin="a long enough one\n")
    assert duplicate.returncode == 1 and "already in use" in duplicate.stderr
    no_password = run("user", "create", "--username", "nopass")
    assert no_password.returncode == 1 and "--password-stdin" in no_password.stderr


@pytest.fixture
def own_stack():
    """A stack of its own, for a test that changes what every other test of the shared stack relies on."""
    stack = RunningStack()
    yield stack
    stack.stop()


def test_key_rotation_through_the_admin_command(own_stack):
    # Its own stack: until the caches catch up, tokens signed with the new key do not verify against the served
    # JWKS, and a test of the shared stack that verifies one then would fail by timing alone.
    rotated = subprocess.run([sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(own_stack.port),
                              "keys", "rotate"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert rotated.returncode == 0, rotated.stderr
    kid = json.loads(rotated.stdout)["signing_key"]["kid"]

    # The promise to operators: within KeyCacheSeconds of the rotation, the JWKS lists the new kid. DiscoveryFunction
    # may have read the secret just before the rotation, so until then it may still serve the old set.
    cache_seconds = int(own_stack.state["environments"]["DiscoveryFunction"]["KEY_CACHE_SECONDS"])

    def published_kids():
        status, _, jwks = own_stack.json("GET", "/oidc/.well-known/jwks.json")
        assert status == 200
        kids = [key["kid"] for key in jwks["keys"]]
        return kids if kid in kids else None

    # The deadline adds slack for request time on a slow machine; it bounds the wait, it is not a sleep.
    kids = wait_until(published_kids, seconds=cache_seconds + 30, message="the new kid in the JWKS")
    assert len(kids) == 2  # the previous key stays published, so tokens it signed still verify


def test_a_second_stack_runs_beside_the_first_and_ctrl_c_stops_it_cleanly(running_stack):
    second = RunningStack()
    try:
        status, _, metadata = second.json("GET", "/oidc/.well-known/openid-configuration")
        assert metadata["issuer"] == f"{second.base}/oidc" != f"{running_stack.base}/oidc"
        assert token(second, DEMO_LOGIN)[0] == 200
        assert token(running_stack, DEMO_LOGIN)[0] == 200
        state = ROOT / ".local-stack" / f"{second.port}.json"
        assert state.exists()
        code, output = second.interrupt()
        assert code == 0, output
        assert "Traceback" not in output and "stopped" in output
        assert not state.exists()
    finally:
        second.stop()
    assert token(running_stack, DEMO_LOGIN)[0] == 200


def test_port_in_use_is_reported_plainly(running_stack):
    result = subprocess.run([sys.executable, "-m", "oidc_tools.local_stack", "--port", str(running_stack.port)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, env={**os.environ})
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{running_stack.port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_make_invoke_runs_an_event_without_docker():
    result = subprocess.run(["make", "--no-print-directory", "--silent", "invoke", "FUNCTION=TokenFunction",
                             "EVENT=events/token-password-sm2.json"], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)  # the response alone; the function's logs went to stderr
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["token_type"] == "Bearer"


def test_cors_answers_the_one_origin_it_allows():
    """With a list of origins, as API Gateway: the request's origin when it is on the list, nothing otherwise."""
    from stack_process import RunningStack as Stack

    stack = Stack(arguments=("--parameter", "CorsAllowedOrigins=https://a.example,https://b.example"))
    try:
        for origin, allowed in (("https://b.example", "https://b.example"), ("https://evil.example", None)):
            status, headers, _ = stack.request("OPTIONS", "/oidc/token", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST"})
            assert {name.lower(): value for name, value in headers.items()}.get(
                "access-control-allow-origin") == allowed, origin
    finally:
        stack.stop()
