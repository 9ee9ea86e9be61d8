"""Authlib's OAuth2Session (Python, requests) with client_secret_basic: the password grant, a refresh that rotates
the refresh token, RFC 7009 revocation of it, and a refresh with the revoked token that fails with invalid_grant."""

from __future__ import annotations

import pytest
from authlib.integrations.requests_client import OAuth2Session, OAuthError

SCOPE = "openid profile email offline_access"


@pytest.fixture(scope="module")
def metadata(running_stack):
    status, _, body = running_stack.json("GET", "/oidc/.well-known/openid-configuration")
    assert status == 200, body
    return body


@pytest.fixture
def session(metadata):
    with OAuth2Session("demo-client", "demo-secret", scope=SCOPE,
                       token_endpoint_auth_method="client_secret_basic") as session:
        session.metadata["token_endpoint"] = metadata["token_endpoint"]
        yield session


def test_password_refresh_revoke_then_the_revoked_token_is_invalid_grant(session, metadata):
    token = session.fetch_token(metadata["token_endpoint"], username="demo", password="demo-password",
                                grant_type="password")
    assert token["token_type"].lower() == "bearer"
    assert token["access_token"] and token["id_token"] and token["refresh_token"]
    assert set(token["scope"].split()) == set(SCOPE.split())
    first_refresh_token = token["refresh_token"]

    # Authlib keeps the old refresh token when a response has none, so "differs" means the server sent a new one.
    refreshed = session.refresh_token(metadata["token_endpoint"], refresh_token=first_refresh_token)
    assert refreshed["refresh_token"] != first_refresh_token
    assert refreshed["access_token"] != token["access_token"]

    revoked = session.revoke_token(metadata["revocation_endpoint"], refreshed["refresh_token"],
                                   token_type_hint="refresh_token")
    assert revoked.status_code == 200 and revoked.content == b""

    with pytest.raises(OAuthError) as failure:
        session.refresh_token(metadata["token_endpoint"], refresh_token=refreshed["refresh_token"])
    assert failure.value.error == "invalid_grant"


def test_wrong_password_is_invalid_grant(session, metadata):
    with pytest.raises(OAuthError) as failure:
        session.fetch_token(metadata["token_endpoint"], username="demo", password="not-the-password",
                            grant_type="password")
    assert failure.value.error == "invalid_grant"
