"""The artifact `sam build` produced, run with only its own layers: a missing dependency or a module left out of a
layer fails here, not in production. `make test` builds it first (for this machine's architecture)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from stack_process import ROOT
from helpers import Reply, token_event

ARCHITECTURE = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
BUILD_DIR = ROOT / os.environ.get("HOST_BUILD", f".aws-sam/build-{ARCHITECTURE}")
RUNTIME = Path(__file__).with_name("lambda_runtime.py")


@pytest.fixture(scope="module")
def built():
    template = BUILD_DIR / "template.yaml"
    if not template.exists():
        pytest.fail(f"no build at {BUILD_DIR}: run `make build-host` (make test does)")
    return BUILD_DIR


def invoke_built(build_dir: Path, function: str, event: dict, environment: dict) -> tuple[Reply, dict]:
    clean_environment = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **environment}
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(RUNTIME), str(build_dir), function, "DependenciesLayer", "CoreLayer"],
        input=json.dumps(event), capture_output=True, text=True, env=clean_environment, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.splitlines()[-1])
    return Reply(output["response"]), output["loaded_from"]


def stack_environment(running_stack, function: str) -> dict:
    state = json.loads((ROOT / ".local-stack" / f"{running_stack.port}.json").read_text())
    return {
        **state["environments"][function],
        "AWS_ENDPOINT_URL": state["endpoint_url"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": state["region"],
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def test_built_token_function_issues_tokens_with_only_its_layers(built, running_stack):
    event = token_event({"grant_type": "password", "client_id": "demo-client", "client_secret": "demo-secret",
                         "username": "demo", "password": "demo-password", "scope": "openid offline_access"})
    reply, loaded_from = invoke_built(built, "TokenFunction", event, stack_environment(running_stack, "TokenFunction"))
    assert reply.status == 200, reply
    assert {"access_token", "id_token", "refresh_token"} <= set(reply.json())
    assert loaded_from["app"].startswith(str(built / "TokenFunction"))
    assert loaded_from["oidc_core"].startswith(str(built / "CoreLayer"))
    for package in ("cryptography", "jwt"):
        assert loaded_from[package].startswith(str(built / "DependenciesLayer")), loaded_from


def test_built_discovery_function_serves_the_jwks(built, running_stack):
    from helpers import get_event

    reply, _ = invoke_built(built, "DiscoveryFunction", get_event("/oidc/.well-known/jwks.json"),
                            stack_environment(running_stack, "DiscoveryFunction"))
    assert reply.status == 200, reply
    assert reply.json()["keys"][0]["kty"] == "RSA"


def test_built_session_function_answers_userinfo(built, running_stack):
    """The built TokenFunction logs in; the built SessionFunction verifies the token with the public keys only."""
    from oidc_tools.local.lambda_events import http_api_event

    login = token_event({"grant_type": "password", "client_id": "demo-client", "client_secret": "demo-secret",
                         "username": "demo", "password": "demo-password"})
    tokens, _ = invoke_built(built, "TokenFunction", login, stack_environment(running_stack, "TokenFunction"))
    event = http_api_event("GET", "/oidc/me", route_key="GET /oidc/me",
                           headers=[("authorization", f"Bearer {tokens.json()['access_token']}")])
    reply, loaded_from = invoke_built(built, "SessionFunction", event, stack_environment(running_stack, "SessionFunction"))
    assert reply.status == 200, reply
    assert reply.json()["preferred_username"] == "demo"
    assert loaded_from["app"].startswith(str(built / "SessionFunction"))
