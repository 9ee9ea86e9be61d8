"""Fixtures for the real handlers against moto's in-process emulation of DynamoDB and Secrets Manager,
provisioned from template.yaml exactly as the local stack is (loaded for every test level by conftest.py)."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest
from moto import mock_aws

from helpers import CLIENT_ID, CLIENT_SECRET, FORM, ISSUER, PASSWORD, Reply, get_event, token_event
from oidc_core import aws, config
from oidc_core.keys import keyring
from oidc_core.keys import kms
from oidc_tools import template
from oidc_tools.local.emulator import fix_moto
from oidc_tools.local.lambda_events import LambdaContext, http_api_event
from oidc_tools.local.stack import load_handler
from oidc_tools.stack.operations import create_client, create_user
from oidc_tools.stack.provision import provision


def _forget_container_state():
    """What a new Lambda container would not have: cached settings, AWS clients and fetched secrets."""
    config.settings.cache_clear()
    keyring._secrets.cache_clear()
    kms.clear_cache()
    aws.client.cache_clear()


@pytest.fixture(scope="session")
def handlers():
    # Each handler checks its configuration when imported, as Lambda's init would: the stack fixture's environment
    # comes later (per test), so the import sees a valid one of its own, forgotten right after.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ISSUER", ISSUER)
        loaded = {name: load_handler(function) for name, function in template.functions(template.load()).items()}
    config.settings.cache_clear()
    return loaded


@pytest.fixture
def stack_parameters():
    """Template parameters of the `stack` fixture besides IssuerUrl: a test module overrides this fixture to change
    them (say, SigningKeySource=KMS)."""
    return {}


@pytest.fixture
def stack(monkeypatch, stack_parameters):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ServerlessOidcTests")
    _forget_container_state()
    fix_moto()
    with mock_aws():
        provisioned = provision(template.load(), {"IssuerUrl": ISSUER, **stack_parameters})
        for environment in provisioned.environments.values():
            for name, value in environment.items():
                monkeypatch.setenv(name, value)
        yield provisioned
    _forget_container_state()


@pytest.fixture
def client(stack):
    return create_client(stack.target, CLIENT_ID, CLIENT_SECRET, name="Test app")[0]


@pytest.fixture
def user(stack):
    return create_user(
        stack.target, PASSWORD, username="Alice", email="Alice@Example.com", phone="+8613800138000",
        email_verified=True, address={"country": "CN", "locality": "Shanghai"},
        profile={"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell", "nickname": "al"},
    )


@pytest.fixture
def call_token(handlers):
    def call(form=None, **kwargs) -> Reply:
        return Reply(handlers["TokenFunction"](token_event(form, **kwargs), LambdaContext("TokenFunction")))

    return call


@pytest.fixture
def call_discovery(handlers):
    def call(path: str) -> Reply:
        return Reply(handlers["DiscoveryFunction"](get_event(path), LambdaContext("DiscoveryFunction")))

    return call


@pytest.fixture
def password_form():
    def form(**overrides):
        values = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                  "username": "alice", "password": PASSWORD}
        values.update(overrides)
        return {name: value for name, value in values.items() if value is not None}

    return form


@pytest.fixture
def call_session(handlers):
    """SessionFunction over an HTTP API event: form bodies url-encoded, headers and a raw query string as sent."""

    def call(method: str, path: str, form: dict | None = None, *, headers: dict | None = None, query: str = "",
             body: bytes | None = None) -> Reply:
        sent = dict(headers or {})
        if form is not None:
            body = urlencode(form).encode()
            sent.setdefault("content-type", FORM)
        event = http_api_event(method, path, route_key=f"{method} {path}", query=query, headers=list(sent.items()),
                               body=body or b"", source_ip="198.51.100.7")
        return Reply(handlers["SessionFunction"](event, LambdaContext("SessionFunction")))

    return call


@pytest.fixture
def run_admin(stack, monkeypatch, capsys):
    """oidc-admin against the in-process stack (no rotation schedule: the four key-rotation steps run in oidc-admin):
    run(*argv, stdin=None) -> (exit code, printed JSON or None, stderr)."""
    from oidc_tools.admin import cli as admin

    monkeypatch.setattr(admin, "deployed_target", lambda stack_name: stack.target)

    def run(*argv: str, stdin: str | None = None) -> tuple[int, dict | None, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()  # what the handlers logged before (Powertools logs to stdout)
        try:
            code = admin.main(list(argv))
        except SystemExit as exit:  # argparse refused the command line
            code = exit.code
        captured = capsys.readouterr()
        return code, json.loads(captured.out) if captured.out else None, captured.err

    return run
