"""docs/getting-started.md and README.md run as written against a `make dev` stack of their own: the curl sessions,
and creating a client and a user with `oidc-admin --local` and logging in with them. Only the port changes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from doc_blocks import answers, block_with, page
from stack_process import ROOT, RunningStack

INVALID_CREDENTIALS = {"error": "invalid_grant", "error_description": "invalid credentials provided"}


@pytest.fixture(scope="module")
def stack():
    """Its own: the blocks create a client and a user and fail a login, which the shared stack's tests should not
    meet."""
    running = RunningStack()
    yield running
    running.stop()


def run(block: str, stack: RunningStack) -> list:
    assert shutil.which("curl") and shutil.which("jq"), "the blocks need curl and jq (docs/getting-started.md)"
    script = block.replace("http://127.0.0.1:3000", stack.base).replace("--local ", f"--local --port {stack.port} ")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return answers(result.stdout)


@pytest.mark.parametrize("name", ["README.md", "getting-started.md"])
def test_the_curl_session(stack, name):
    """Discovery, logins that get tokens, and a wrong password that gets the one credential failure."""
    printed = run(block_with(page(name), "sh", "grant_type=password"), stack)
    assert printed[0]["issuer"] == f"{stack.base}/oidc"
    assert printed[-1] == INVALID_CREDENTIALS
    for answer in printed[1:-1]:
        if "keys" in answer:
            assert answer["keys"] and all(key["kty"] == "RSA" for key in answer["keys"])
        else:
            assert answer["token_type"] == "Bearer" and answer["access_token"] and answer["id_token"], answer
    assert any("access_token" in answer for answer in printed[1:-1])


def test_your_own_client_and_user_on_the_local_stack(stack):
    block = block_with(page("getting-started.md"), "bash", "client create")
    assert ".venv/bin/oidc-admin --local client create" in block and ".venv/bin/oidc-admin --local user create" in block
    (created_user, login) = run(block, stack)
    assert created_user["username"] == "alice" and created_user["sub"]
    assert login["token_type"] == "Bearer" and login["scope"] == "openid profile email"
    status, _, claims = stack.json("GET", "/oidc/me", headers={"Authorization": f"Bearer {login['access_token']}"})
    assert status == 200 and claims["sub"] == created_user["sub"] and claims["email"] == "alice@example.com"
