"""oidc-admin and the token lifecycle: public clients, changing a client, and ending a user's sessions, driven through
`oidc_tools.admin.cli.main` against the in-process stack and checked through the real TokenFunction handler."""

from __future__ import annotations


import pytest

from helpers import CLIENT_ID, CLIENT_SECRET, PASSWORD
from oidc_core.passwords import hashing
from oidc_core.store import clients
from oidc_core.store import users


def refresh_form(refresh_token: str, **overrides) -> dict:
    values = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID,
              "client_secret": CLIENT_SECRET}
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


@pytest.fixture
def live_refresh_token(call_token, password_form, client, user):
    """A refresh token from a login that has been refreshed once already (so the session is shown to work); the one
    returned is the family's live token, so a refusal later can only be the session having ended, never reuse."""
    login = call_token(password_form(scope="openid offline_access"))
    assert login.status == 200, login
    refreshed = call_token(refresh_form(login.json()["refresh_token"]))
    assert refreshed.status == 200, refreshed
    return refreshed.json()["refresh_token"]


def assert_session_ended(call_token, refresh_token: str) -> None:
    reply = call_token(refresh_form(refresh_token))
    assert reply.status == 400, reply
    assert reply.json()["error"] == "invalid_grant"


# -- clients ------------------------------------------------------------------------------------------------------

def test_public_client_has_no_secret_and_logs_in_with_its_client_id_alone(run_admin, stack, call_token, password_form,
                                                                          user):
    code, created, _ = run_admin("client", "create", "spa", "--name", "Browser app", "--auth-method", "none",
                                 "--scopes", "openid profile offline_access",
                                 "--post-logout-redirect-uri", "https://app.example.test/bye")
    assert code == 0
    assert created["client_id"] == "spa" and created["client_secret"] is None
    assert created["token_endpoint_auth_method"] == "none"
    assert created["grant_types"] == ["password", "refresh_token"]  # the default for a public client
    assert created["post_logout_redirect_uris"] == ["https://app.example.test/bye"]
    stored = clients.find(stack.target.clients_table, "spa")
    assert stored.is_public and stored.secret_hash == ""

    login = call_token(password_form(client_id="spa", client_secret=None, scope="openid offline_access"))
    assert login.status == 200, login
    refreshed = call_token(refresh_form(login.json()["refresh_token"], client_id="spa", client_secret=None))
    assert refreshed.status == 200, refreshed

    refused = call_token({"grant_type": "client_credentials", "client_id": "spa"})
    assert refused.status == 400 and refused.json()["error"] == "unauthorized_client", refused
    # a public client that sends a secret is not who it claims to be
    assert call_token(password_form(client_id="spa", client_secret="anything")).status == 401


def test_confidential_client_defaults_keep_client_credentials(run_admin):
    code, created, _ = run_admin("client", "create", "backend", "--scopes", "openid orders:read")
    assert code == 0
    assert created["client_secret"] and created["token_endpoint_auth_method"] == "client_secret_basic"
    assert created["grant_types"] == ["client_credentials", "password", "refresh_token"]
    assert created["allowed_scopes"] == ["openid", "orders:read"]
    assert created["post_logout_redirect_uris"] == []


def test_public_client_with_a_secret_from_stdin_is_an_error(run_admin, stack):
    code, printed, error = run_admin("client", "create", "spa", "--auth-method", "none", "--secret-stdin",
                                     stdin="a-secret\n")
    assert code == 1 and printed is None
    assert error.startswith("oidc-admin: ") and error.count("\n") == 1 and "no secret" in error
    assert clients.find(stack.target.clients_table, "spa") is None


def test_public_client_with_client_credentials_is_an_error(run_admin, stack):
    code, _, error = run_admin("client", "create", "spa", "--auth-method", "none",
                               "--grant-types", "password client_credentials")
    assert code == 1 and "client_credentials" in error and error.count("\n") == 1
    assert clients.find(stack.target.clients_table, "spa") is None


def test_client_update_changes_only_what_is_given(run_admin, stack, client, call_token, password_form, user):
    code, updated, _ = run_admin(
        "client", "update", CLIENT_ID, "--scopes", "openid profile offline_access orders:read",
        "--post-logout-redirect-uri", "https://app.example.test/bye",
        "--post-logout-redirect-uri", "http://localhost:8080/signed-out")
    assert code == 0
    assert "client_secret" not in updated
    assert updated["allowed_scopes"] == ["offline_access", "openid", "orders:read", "profile"]
    assert updated["post_logout_redirect_uris"] == ["http://localhost:8080/signed-out", "https://app.example.test/bye"]
    assert updated["name"] == "Test app" and updated["token_endpoint_auth_method"] == "client_secret_basic"
    assert updated["grant_types"] == ["client_credentials", "password", "refresh_token"]
    stored = clients.find(stack.target.clients_table, CLIENT_ID)
    assert stored.allowed_scopes == {"openid", "profile", "offline_access", "orders:read"}
    assert stored.secret_hash == client.secret_hash  # the secret still works
    assert call_token(password_form(scope="openid")).status == 200
    # the scopes it lost are refused from now on
    assert call_token(password_form(scope="openid email")).json()["error"] == "invalid_scope"

    # the redirect URI list is replaced, not added to; other settings stay
    code, updated, _ = run_admin("client", "update", CLIENT_ID, "--name", "Renamed",
                                 "--post-logout-redirect-uri", "https://other.example.test/")
    assert code == 0
    assert updated["post_logout_redirect_uris"] == ["https://other.example.test/"]
    assert updated["name"] == "Renamed"
    assert updated["allowed_scopes"] == ["offline_access", "openid", "orders:read", "profile"]


def test_client_update_can_make_a_client_public(run_admin, stack, client, call_token, password_form, user):
    code, updated, _ = run_admin("client", "update", CLIENT_ID, "--auth-method", "none",
                                 "--grant-types", "password refresh_token")
    assert code == 0 and updated["token_endpoint_auth_method"] == "none"
    assert clients.find(stack.target.clients_table, CLIENT_ID).secret_hash == ""
    assert call_token(password_form(client_secret=None)).status == 200
    assert call_token(password_form()).status == 401  # the old secret is gone


@pytest.mark.parametrize("options, message", [
    (["--scopes", "openid admin"], "unknown scopes"),
    (["--grant-types", "implicit"], "unknown grant types"),
    (["--post-logout-redirect-uri", "http://app.example.test/bye"], "post-logout redirect URI"),
    (["--post-logout-redirect-uri", "https://app.example.test\\@evil.example/"], "backslash"),
    (["--post-logout-redirect-uri", "https://app.example.test@evil.example/"], "userinfo"),
    (["--post-logout-redirect-uri", "https://app.example.test/bye\n"], "control character"),
    (["--post-logout-redirect-uri", "https://app.example.test/ bye"], "whitespace"),
    (["--post-logout-redirect-uri", "https://app.example.test/bye#x"], "fragment"),
])
def test_client_update_refuses_bad_settings(run_admin, stack, client, options, message):
    code, printed, error = run_admin("client", "update", CLIENT_ID, *options)
    assert code == 1 and printed is None and message in error and error.count("\n") == 1
    assert clients.find(stack.target.clients_table, CLIENT_ID) == client


def test_redirect_uris_are_stored_re_serialised(run_admin, stack, client):
    code, updated, _ = run_admin("client", "update", CLIENT_ID,
                                 "--post-logout-redirect-uri", "HTTPS://App.Example.TEST/Bye?x=1")
    assert code == 0 and updated["post_logout_redirect_uris"] == ["https://app.example.test/Bye?x=1"]
    stored = clients.find(stack.target.clients_table, CLIENT_ID).post_logout_redirect_uris
    assert stored == ("https://app.example.test/Bye?x=1",)


def test_client_update_of_an_unknown_client_is_a_one_line_error(run_admin, stack):
    code, printed, error = run_admin("client", "update", "nobody", "--name", "Ghost")
    assert code == 1 and printed is None
    assert error == "oidc-admin: no client 'nobody'\n"
    assert clients.find(stack.target.clients_table, "nobody") is None


# -- ending a user's sessions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("identifier", [["--username", "alice"], ["--email", "alice@example.com"],
                                        ["--phone", "13800138000"], None])
def test_user_sign_out_ends_the_sessions(run_admin, call_token, password_form, user, live_refresh_token, identifier):
    code, printed, _ = run_admin("user", "sign-out", *(identifier or ["--sub", user.sub]))
    assert code == 0
    assert printed == {"sub": user.sub, "sessions": "ended"}
    assert_session_ended(call_token, live_refresh_token)
    # the user is not locked out: a new login starts a new session that refreshes
    login = call_token(password_form(scope="openid offline_access"))
    assert login.status == 200, login
    assert call_token(refresh_form(login.json()["refresh_token"])).status == 200


def test_user_sign_out_of_an_unknown_user_is_a_one_line_error(run_admin, user):
    code, printed, error = run_admin("user", "sign-out", "--username", "nobody")
    assert code == 1 and printed is None
    assert error == "oidc-admin: no user with username 'nobody'\n"


def test_user_sign_out_needs_exactly_one_identifier(run_admin, user):
    assert run_admin("user", "sign-out")[0] == 2  # a usage mistake: argparse's exit status
    assert run_admin("user", "sign-out", "--username", "alice", "--sub", user.sub)[0] == 2


def test_user_set_password_ends_the_sessions(run_admin, stack, call_token, password_form, user, live_refresh_token):
    code, printed, _ = run_admin("user", "set-password", "--email", "alice@example.com", "--password-stdin",
                                 stdin="a brand new password\n")
    assert code == 0 and printed == {"sub": user.sub, "password": "changed"}
    assert_session_ended(call_token, live_refresh_token)
    stored = users.find_by_sub(stack.target.users_table, user.sub)
    assert hashing.verify_password("a brand new password", stored.password_hash)
    assert call_token(password_form()).json()["error"] == "invalid_grant"  # the old password
    login = call_token(password_form(password="a brand new password", scope="openid offline_access"))
    assert login.status == 200, login
    assert call_token(refresh_form(login.json()["refresh_token"])).status == 200


def test_user_block_ends_the_sessions_and_unblock_does_not_bring_them_back(run_admin, call_token, password_form, user,
                                                                           live_refresh_token):
    code, printed, _ = run_admin("user", "block", "--username", "alice")
    assert code == 0 and printed == {"sub": user.sub, "blocked": True}
    assert_session_ended(call_token, live_refresh_token)
    assert call_token(password_form()).status == 400  # no new login either

    code, printed, _ = run_admin("user", "unblock", "--sub", user.sub)
    assert code == 0 and printed == {"sub": user.sub, "blocked": False}
    assert_session_ended(call_token, live_refresh_token)
    login = call_token(password_form(scope="openid offline_access"))
    assert login.status == 200, login
    assert call_token(refresh_form(login.json()["refresh_token"])).status == 200


def test_sign_out_ends_only_that_users_sessions(run_admin, stack, call_token, password_form, client, user,
                                                live_refresh_token):
    from oidc_tools.stack.operations import create_user

    create_user(stack.target, PASSWORD, username="bob")
    bob = call_token(password_form(username="bob", scope="openid offline_access")).json()["refresh_token"]
    assert run_admin("user", "sign-out", "--username", "alice")[0] == 0
    assert_session_ended(call_token, live_refresh_token)
    assert call_token(refresh_form(bob)).status == 200
