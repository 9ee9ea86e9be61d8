"""Every file in events/ is a real HTTP API v2 event that gives the answer its name promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import Reply
from oidc_tools.lambda_events import LambdaContext
from oidc_core import keys
from oidc_tools.local_stack import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USER, demo_password_keys
from oidc_tools.operations import create_client, create_user, replace_password_keys

EVENTS = Path(__file__).resolve().parents[2] / "events"
EXPECTED = {
    "token-password.json": ("TokenFunction", 200, None),
    "token-password-basic-auth.json": ("TokenFunction", 200, None),
    "token-password-phone-json.json": ("TokenFunction", 200, None),
    "token-password-rsa.json": ("TokenFunction", 200, None),
    "token-password-sm2.json": ("TokenFunction", 200, None),
    "token-wrong-password.json": ("TokenFunction", 400, "invalid_grant"),
    "token-bad-client-secret-basic.json": ("TokenFunction", 401, "invalid_client"),
    "token-two-identifiers.json": ("TokenFunction", 400, "invalid_request"),
    "token-unknown-scope.json": ("TokenFunction", 400, "invalid_scope"),
    "token-unsupported-grant.json": ("TokenFunction", 400, "unsupported_grant_type"),
    "discovery-openid-configuration.json": ("DiscoveryFunction", 200, None),
    "discovery-jwks.json": ("DiscoveryFunction", 200, None),
    "discovery-system-info.json": ("DiscoveryFunction", 200, None),
}


def test_every_event_file_is_listed_here():
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event(handlers, stack, name):
    create_client(stack.target, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    create_user(stack.target, DEMO_PASSWORD, **DEMO_USER)
    # the encrypted-password events carry ciphertexts made with JSEncrypt and sm-crypto for the demo keys
    replace_password_keys(stack.target, private_document=demo_password_keys())
    keys.clear_cache()
    function, status, error = EXPECTED[name]
    event = json.loads((EVENTS / name).read_text())
    assert event["version"] == "2.0" and event["routeKey"] == f"{event['requestContext']['http']['method']} {event['rawPath']}"
    reply = Reply(handlers[function](event, LambdaContext(function)))
    assert reply.status == status, reply
    if error:
        assert reply.json()["error"] == error
