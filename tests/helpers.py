"""Helpers shared by the tests: building API Gateway events and reading Lambda proxy responses."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest


from oidc_core.passwords.decryption import DecryptionFailed
from oidc_tools.local.lambda_events import http_api_event, response_body

FORM = "application/x-www-form-urlencoded"

# What the in-process stack fixture (aws_fixtures.py) registers
ISSUER = "https://auth.example.test/oidc"
CLIENT_ID, CLIENT_SECRET = "app", "app-secret-0123456789"
PASSWORD = "correct horse battery staple"


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_event(form: dict | list | None = None, *, body: bytes | None = None, content_type: str = FORM,
                authorization: str | None = None) -> dict:
    if body is None:
        body = json.dumps(form).encode() if content_type == "application/json" else urlencode(form or {}).encode()
    headers = [("content-type", content_type)] if content_type else []
    if authorization:
        headers.append(("authorization", authorization))
    return http_api_event("POST", "/oidc/token", route_key="POST /oidc/token", headers=headers, body=body,
                          source_ip="198.51.100.7")


def get_event(path: str) -> dict:
    return http_api_event("GET", path, route_key=f"GET {path}")


class Reply:
    """A Lambda proxy response, read the way a client reads the HTTP response."""

    def __init__(self, response: dict):
        self.status = response["statusCode"]
        self.headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
        self.text = response_body(response).decode("utf-8")

    def json(self) -> dict:
        return json.loads(self.text)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.text[:200]}>"


def decryption_failure(decrypt, *args) -> str:
    """The reason of the DecryptionFailed that decrypt(*args) raises, checked to carry nothing but that code."""
    with pytest.raises(DecryptionFailed) as info:
        decrypt(*args)
    assert str(info.value) == info.value.reason
    assert info.value.__context__ is None
    return info.value.reason


def configure(monkeypatch, **variables) -> None:
    """Set environment variables of the functions and forget the parsed settings, as a new container would."""
    from oidc_core import config

    for name, value in variables.items():
        monkeypatch.setenv(name, str(value))
    config.settings.cache_clear()
