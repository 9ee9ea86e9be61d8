"""openid-client 6 (node, its own v6 API; installed as `openid-client-6` next to 5.7.1) goes through the whole token
lifecycle against our issuer: discovery, the password grant, refresh with rotation, userinfo, introspection,
revocation, client credentials and RP-initiated logout, for demo-client (client_secret_basic) and demo-spa (none).

tests/interop/oidc_lifecycle.mjs makes the calls and prints what came back; the assertions are here.
"""

from __future__ import annotations

import json
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from interop.conftest import INTEROP_DIR

SIGNED_OUT = "http://localhost:8080/signed-out"


@pytest.fixture(scope="module")
def lifecycle(running_stack, node):
    result = subprocess.run(["node", str(INTEROP_DIR / "oidc_lifecycle.mjs"), f"{running_stack.base}/oidc"],
                            capture_output=True, text=True, cwd=INTEROP_DIR, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_discovery_advertises_every_lifecycle_endpoint(running_stack, lifecycle):
    issuer = f"{running_stack.base}/oidc"
    assert lifecycle["issuer"] == issuer
    assert lifecycle["endpoints"] == {
        "userinfo": f"{issuer}/me",
        "introspection": f"{issuer}/token/introspection",
        "revocation": f"{issuer}/token/revocation",
        "end_session": f"{issuer}/session/end",
    }


def test_password_grant_id_token_is_validated(running_stack, lifecycle):
    login = lifecycle["login"]
    assert login["claims"]["iss"] == f"{running_stack.base}/oidc"
    assert login["claims"]["aud"] == "demo-client"
    assert login["claims"]["email"] == "demo@example.com" and login["claims"]["name"] == "Demo User"
    assert login["sub"] == login["claims"]["sub"]
    assert login["token_type"].lower() == "bearer"
    assert login["has_refresh_token"] is True


def test_refresh_rotates_the_refresh_token(lifecycle):
    refresh = lifecycle["refresh"]
    assert refresh["has_refresh_token"] is True
    assert refresh["rotated"] is True
    assert refresh["new_access_token"] is True
    assert refresh["id_token_sub"] in (None, lifecycle["login"]["sub"])


def test_userinfo_with_the_refreshed_access_token(lifecycle):
    """fetchUserInfo itself checks that sub is the one from the id token."""
    userinfo = lifecycle["userinfo"]
    assert userinfo["sub"] == lifecycle["login"]["sub"]
    assert userinfo["email"] == "demo@example.com"
    assert userinfo["name"] == "Demo User"


def test_introspection_before_and_after_revocation(running_stack, lifecycle):
    access, refresh, revoked = (lifecycle["introspection"][kind] for kind in ("access", "refresh", "revoked"))
    sub = lifecycle["login"]["sub"]
    assert access["active"] is True
    assert access["sub"] == sub and access["client_id"] == "demo-client"
    assert access["iss"] == f"{running_stack.base}/oidc"
    assert set(access["scope"].split()) == {"openid", "profile", "email", "offline_access"}
    assert refresh["active"] is True
    assert refresh["sub"] == sub and refresh["client_id"] == "demo-client"
    assert revoked == {"active": False}


def test_a_revoked_refresh_token_is_invalid_grant(lifecycle):
    assert lifecycle["refresh_after_revocation"] == {
        "failed": True, "error": "invalid_grant", "status": 400, "name": "ResponseBodyError"}


def test_client_credentials_grants_only_the_allowed_scope(lifecycle):
    machine = lifecycle["client_credentials"]
    assert machine["has_access_token"] is True
    assert machine["token_type"].lower() == "bearer"
    assert machine["scope"] == "demo:read"
    assert machine["rejected_scope"] == "other:thing"
    assert machine["has_id_token"] is False and machine["has_refresh_token"] is False


def test_end_session_redirects_to_the_registered_uri_with_state(running_stack, lifecycle):
    end_session = lifecycle["end_session"]
    url = urlsplit(end_session["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{running_stack.base}/oidc/session/end"
    query = parse_qs(url.query)
    assert query["post_logout_redirect_uri"] == [SIGNED_OUT] and query["client_id"] == ["demo-client"]
    assert query["id_token_hint"][0].count(".") == 2
    assert end_session["status"] == 302
    assert end_session["location"] == f"{SIGNED_OUT}?state={end_session['state']}"


def test_public_client_logs_in_and_refreshes_without_a_secret(lifecycle):
    spa = lifecycle["spa"]
    assert spa["sub"] == lifecycle["login"]["sub"]
    assert spa["aud"] == "demo-spa"
    assert spa["has_refresh_token"] is True
    assert spa["rotated"] is True and spa["has_access_token"] is True
