"""`make dev PERSIST=1` (`--data FILE`): what was created in one run is there in the next; without it, nothing is."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
from urllib.parse import urlencode

from stack_process import ROOT, RunningStack

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def private_password_keys(stack: RunningStack) -> dict:
    """The password-keys secret as the stack's emulated Secrets Manager holds it now."""
    import boto3

    state = stack.state
    secrets = boto3.client("secretsmanager", endpoint_url=state["endpoint_url"], region_name=state["region"],
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    return json.loads(secrets.get_secret_value(SecretId=state["target"]["password_keys_secret_id"],
                                               VersionStage="AWSCURRENT")["SecretString"])


def admin(stack: RunningStack, *arguments: str, stdin: str = "") -> dict:
    result = subprocess.run([sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(stack.port), *arguments],
                            input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def login(stack: RunningStack, client_id: str, secret: str, username: str, password: str):
    form = {"grant_type": "password", "client_id": client_id, "client_secret": secret, "username": username,
            "password": password, "scope": "openid offline_access"}
    return stack.json("POST", "/oidc/token", urlencode(form).encode(), FORM)


def test_users_clients_keys_and_sessions_outlive_a_restart(tmp_path):
    data = tmp_path / "data.json"
    first = RunningStack(arguments=("--data", str(data)))
    try:
        assert f"new, saved to {data} when it stops" in "".join(first.output)
        admin(first, "user", "create", "--username", "kept", "--password-stdin", stdin="a kept passphrase\n")
        secret = admin(first, "client", "create", "kept-client", "--scopes", "openid offline_access")["client_secret"]
        admin(first, "keys", "rotate", "--only", "password")
        password_keys = private_password_keys(first)
        status, _, tokens = login(first, "kept-client", secret, "kept", "a kept passphrase")
        assert status == 200, tokens
        _, _, first_jwks = first.json("GET", "/oidc/.well-known/jwks.json")
        code, output = first.stop_with(signal.SIGTERM)
        assert code == 0 and "Traceback" not in output, output
    finally:
        first.stop()
    assert stat.S_IMODE(data.stat().st_mode) == 0o600  # password hashes and private keys: its owner's only

    second = RunningStack(arguments=("--data", str(data)))
    try:
        assert f"restored from {data}" in "".join(second.output)
        status, _, body = login(second, "kept-client", secret, "kept", "a kept passphrase")
        assert status == 200, body
        # the signing keys are the same, so tokens issued before the restart still verify against the JWKS
        _, _, second_jwks = second.json("GET", "/oidc/.well-known/jwks.json")
        assert second_jwks == first_jwks
        # the rotated password keys stay (the demo keys are seeded only into a stack with no saved data); compared
        # as stored, since what /api/v3/system shows of a fresh rotation changes with time (docs/keys.md)
        assert private_password_keys(second) == password_keys
        # the refresh token family of the first run goes on
        status, _, body = second.json("POST", "/oidc/token", urlencode({
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "kept-client",
            "client_secret": secret}).encode(), FORM)
        assert status == 200, body
        # the demo records were kept, not seeded twice
        status, _, body = login(second, "demo-client", "demo-secret", "demo", "demo-password")
        assert status == 200, body
    finally:
        second.stop()


def test_without_it_the_banner_says_the_data_is_lost(running_stack):
    assert "in memory: lost when it stops (make dev PERSIST=1 keeps it)" in "".join(running_stack.output)


def test_an_unreadable_data_file_is_reported_in_one_line(tmp_path):
    data = tmp_path / "data.json"
    data.write_text("{ not json")
    result = subprocess.run([sys.executable, "-m", "oidc_tools.local.stack", "--port", "0", "--data", str(data)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"local stack: cannot read {data}:") and line.endswith("move it away to start afresh")
    assert "ready:" not in result.stdout
