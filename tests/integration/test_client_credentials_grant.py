"""grant_type=client_credentials (RFC 6749 §4.4) in Authing's shape, through the real TokenFunction handler."""

from __future__ import annotations

import jwt
import pytest

from helpers import ISSUER, basic_auth
from oidc_tools.stack.operations import create_client

SECRET = "machine-secret-0123456789"


@pytest.fixture
def machine(stack):
    return create_client(stack.target, "machine", SECRET, scopes=["openid", "profile", "orders:read", "orders:write"],
                         grant_types=["client_credentials"])[0]


def grant(call_token, scope: str | None = None, secret: str = SECRET):
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope is not None else {})}
    return call_token(form, authorization=basic_auth("machine", secret))


def test_access_token_for_the_client_itself(call_token, call_discovery, machine):
    reply = grant(call_token, "orders:read")
    assert reply.status == 200, reply
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}  # no id_token, no refresh_token
    assert body["scope"] == "orders:read" and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    key = jwt.PyJWK(call_discovery("/oidc/.well-known/jwks.json").json()["keys"][0]).key
    claims = jwt.decode(body["access_token"], key, algorithms=["RS256"], audience="machine", issuer=ISSUER)
    assert claims["sub"] == "machine" and claims["azp"] == "machine" and claims["client_id"] == "machine"
    assert {"jti", "iat", "exp", "scope", "iss", "aud"} <= set(claims)


def test_without_scope_every_api_scope_of_the_client_is_granted(call_token, machine):
    assert grant(call_token).json()["scope"] == "orders:read orders:write"


def test_a_partial_grant_lists_the_rest_in_rejected_scope(call_token, machine):
    body = grant(call_token, "orders:read billing:read openid").json()
    assert body["scope"] == "orders:read"
    assert body["rejected_scope"] == "billing:read openid"  # user scopes never go to a client acting for itself


def test_nothing_grantable_is_invalid_scope(call_token, machine):
    reply = grant(call_token, "billing:read profile")
    assert reply.status == 400 and reply.json()["error"] == "invalid_scope"


def test_wrong_secret_is_invalid_client(call_token, machine):
    reply = grant(call_token, secret="wrong")
    assert reply.status == 401 and reply.headers["www-authenticate"].startswith("Basic")


def test_a_public_client_can_never_use_it(call_token, stack):
    with pytest.raises(ValueError):
        create_client(stack.target, "spa", auth_method="none", grant_types=["client_credentials"])
    create_client(stack.target, "spa", auth_method="none")
    reply = call_token({"grant_type": "client_credentials", "client_id": "spa"})
    assert reply.status == 400 and reply.json()["error"] == "unauthorized_client"


def test_a_client_without_the_grant_is_unauthorized(call_token, stack):
    create_client(stack.target, "web", "web-secret-0123456789", grant_types=["password"], scopes=["orders:read"])
    reply = call_token({"grant_type": "client_credentials"}, authorization=basic_auth("web", "web-secret-0123456789"))
    assert reply.status == 400 and reply.json()["error"] == "unauthorized_client"


def test_a_client_registered_for_no_api_scope_gets_invalid_scope(call_token, client):
    from helpers import CLIENT_ID, CLIENT_SECRET

    reply = call_token({"grant_type": "client_credentials"}, authorization=basic_auth(CLIENT_ID, CLIENT_SECRET))
    assert reply.status == 400 and reply.json()["error"] == "invalid_scope"
