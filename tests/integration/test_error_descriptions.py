"""What the functions say back about a bad request: an error_description made of RFC 6749 §5.2's characters, bounded,
holding nothing the sender wrote; and every JSON answer marked nosniff. Through the real handlers."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from helpers import CLIENT_ID, CLIENT_SECRET, Reply, get_event
from oidc_tools.local.lambda_events import LambdaContext, http_api_event

# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
LONGEST_DESCRIPTION = 256  # a bound a reader can rely on; any larger text is the request coming back

HOSTILE_NAMES = {
    "markup": "<img src=x>",
    "quotes": 'a"b\'c',
    "backslash": "a\\b",
    "bidi override": "abc\u202edef",
    "1,000 characters": "n" * 1000,
}


def raw_event(path: str, body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict:
    return http_api_event("POST", path, route_key=f"POST {path}", headers=[("content-type", content_type)],
                          body=body, source_ip="198.51.100.7")


def check_description(reply: Reply, *echoes: str) -> str:
    """The answer's description is RFC 6749's kind of text, bounded, and repeats none of `echoes`."""
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.headers["x-content-type-options"] == "nosniff"
    description = reply.json()["error_description"]
    assert DESCRIPTION.fullmatch(description), description
    assert len(description) <= LONGEST_DESCRIPTION
    for echo in echoes:
        assert echo not in reply.text and echo[:20] not in reply.text
    return description


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
@pytest.mark.parametrize("path,function", [("/oidc/token", "TokenFunction"),
                                           ("/oidc/token/introspection", "SessionFunction"),
                                           ("/oidc/token/revocation", "SessionFunction")])
def test_a_duplicated_parameter_is_not_named_back(handlers, client, name, path, function):
    body = f"grant_type=password&{quote(name)}=1&{quote(name)}=2".encode()
    reply = Reply(handlers[function](raw_event(path, body), LambdaContext(function)))
    assert (reply.status, reply.json()["error"]) == (400, "invalid_request")
    check_description(reply, name)


def test_a_duplicated_parameter_of_ours_is_named(handlers, client):
    body = b"grant_type=password&scope=openid&scope=email"
    reply = Reply(handlers["TokenFunction"](raw_event("/oidc/token", body), LambdaContext("TokenFunction")))
    assert reply.json()["error_description"] == "parameter sent more than once: scope"


@pytest.mark.parametrize("scope", ["<img", "src=x>", "a'b", "\u202eevil", "s" * 1000])
def test_an_unknown_scope_is_not_repeated(handlers, client, user, scope):
    form = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "username": "alice",
            "password": "correct horse battery staple", "scope": f"openid {scope}"}
    body = "&".join(f"{quote(key)}={quote(value)}" for key, value in form.items()).encode()
    reply = Reply(handlers["TokenFunction"](raw_event("/oidc/token", body), LambdaContext("TokenFunction")))
    assert (reply.status, reply.json()["error"]) == (400, "invalid_scope")
    check_description(reply, scope)


def test_the_authing_envelope_message_follows_the_same_rule(handlers, client):
    document = {"connection": "PASSWORD", "passwordPayload": {"username": "alice", "password": "x"},
                "options": {"scope": "openid <img src=x>\u202e"},
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    event = raw_event("/api/v3/signin", json.dumps(document).encode(), "application/json")
    reply = Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction")))
    message = reply.json()["message"]
    assert reply.status == 400 and DESCRIPTION.fullmatch(message) and "<img" not in message
    assert reply.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("function,event", [
    ("DiscoveryFunction", get_event("/oidc/.well-known/openid-configuration")),
    ("DiscoveryFunction", get_event("/oidc/.well-known/jwks.json")),
    ("DiscoveryFunction", get_event("/api/v3/system")),
    ("DiscoveryFunction", get_event("/no/such/path")),
    ("SessionFunction", get_event("/oidc/me")),
    ("TokenFunction", raw_event("/oidc/token", b"grant_type=client_credentials")),
], ids=["discovery", "jwks", "system", "not found", "userinfo without a token", "token error"])
def test_every_json_answer_is_nosniff(handlers, client, function, event):
    reply = Reply(handlers[function](event, LambdaContext(function)))
    assert reply.headers["content-type"].startswith("application/json"), reply
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_a_token_answer_is_nosniff(call_token, password_form, client, user):
    reply = call_token(password_form())
    assert reply.status == 200, reply
    assert reply.headers["x-content-type-options"] == "nosniff"
