"""oidc-admin's list, show, update and delete of clients and users, against the in-process stack, their effect checked
through the real TokenFunction handler and the tables: pages that cover everything once, nothing secret shown, a
deletion that asks first and leaves nothing behind that a namesake could inherit."""

from __future__ import annotations

import io
import json
import time

import pytest

from helpers import CLIENT_ID, CLIENT_SECRET, PASSWORD
from oidc_core import aws
from oidc_core.config import load_settings
from oidc_core.store import browser_sessions, clients, consents, users
from oidc_core.store.identifiers import normalise
from oidc_tools.stack.operations import create_client, create_user


class Terminal(io.StringIO):
    """Standard input as a terminal with an operator typing `answer`."""

    def isatty(self) -> bool:
        return True


def assert_nothing_secret(printed, *secrets: str) -> None:
    text = json.dumps(printed)
    assert "$argon2" not in text and "password_hash" not in text and "secret_hash" not in text
    assert not any(secret in text for secret in secrets)


def refresh(call_token, token: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET):
    return call_token({"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id,
                       "client_secret": secret})


def tokens_items(stack) -> list[dict]:
    return aws.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]


# -- clients ------------------------------------------------------------------------------------------------------

def test_client_list_pages_through_every_client_once_without_a_secret(run_admin, stack, client):
    secrets = [create_client(stack.target, f"app-{index}", f"secret-of-app-{index}-0123456789")[1]
               for index in range(6)]
    seen, after, pages = [], None, 0
    while True:
        code, page, _ = run_admin("client", "list", "--limit", "3", *(["--after", after] if after else []))
        assert code == 0 and len(page["clients"]) <= 3
        seen += [listed["client_id"] for listed in page["clients"]]
        assert_nothing_secret(page, CLIENT_SECRET, *secrets)
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert sorted(seen) == sorted([CLIENT_ID, *(f"app-{index}" for index in range(6))])  # each once
    assert pages >= 3


def test_client_show_prints_its_settings_and_no_secret(run_admin, client):
    code, shown, _ = run_admin("client", "show", CLIENT_ID)
    assert code == 0 and shown["client_id"] == CLIENT_ID and shown["name"] == "Test app"
    assert_nothing_secret(shown, CLIENT_SECRET)
    code, shown, error = run_admin("client", "show", "nobody")
    assert code == 1 and shown is None and error.count("\n") == 1 and "no client 'nobody'" in error


def test_a_public_client_is_printed_as_requiring_pkce_as_the_server_requires_it(run_admin):
    code, created, _ = run_admin("client", "create", "spa", "--auth-method", "none",
                                 "--redirect-uri", "https://app.example.test/cb")
    assert code == 0 and created["require_pkce"] is True
    assert run_admin("client", "show", "spa")[1]["require_pkce"] is True
    assert run_admin("client", "create", "backend")[1]["require_pkce"] is False


def test_client_delete_asks_first_and_without_a_terminal_needs_yes(run_admin, stack, client, monkeypatch):
    code, printed, error = run_admin("client", "delete", CLIENT_ID)  # stdin is no terminal here
    assert code == 1 and printed is None and "--yes" in error
    assert clients.find(stack.target.clients_table, CLIENT_ID) is not None

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, printed, error = run_admin("client", "delete", CLIENT_ID)
    assert code == 1 and "not deleted" in error and "[y/N]" in error
    assert clients.find(stack.target.clients_table, CLIENT_ID) is not None

    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, printed, _ = run_admin("client", "delete", CLIENT_ID)
    assert code == 0 and printed["deleted"] is True
    assert clients.find(stack.target.clients_table, CLIENT_ID) is None


def test_a_deleted_clients_refresh_tokens_do_not_come_back_with_a_namesake(run_admin, stack, client, user,
                                                                           call_token, password_form):
    login = call_token(password_form(scope="openid offline_access"))
    assert login.status == 200, login
    code, printed, _ = run_admin("client", "delete", CLIENT_ID, "--yes")
    assert code == 0 and printed["refresh_token_families_revoked"] == 1
    # the same id and secret registered again: the old session must not be theirs
    create_client(stack.target, CLIENT_ID, CLIENT_SECRET)
    reply = refresh(call_token, login.json()["refresh_token"])
    assert reply.status == 400 and reply.json()["error"] == "invalid_grant", reply
    assert run_admin("client", "delete", CLIENT_ID + "-none", "--yes")[0] == 1


# -- users --------------------------------------------------------------------------------------------------------

def test_user_create_refuses_what_is_not_an_email(run_admin, stack):
    for email in ("not-an-email", "a@b", "@example.com", "a b@example.com", "a@example..com"):
        code, printed, error = run_admin("user", "create", "--email", email, "--password-stdin",
                                         stdin=PASSWORD + "\n")
        assert code == 1 and printed is None and "not an email address" in error, email
    assert run_admin("user", "create", "--email", "bob@example.com", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0


def test_user_list_pages_through_every_user_once_without_a_hash(run_admin, stack, user):
    made = [create_user(stack.target, PASSWORD, username=f"user{index}").sub for index in range(5)]
    seen, after = [], None
    while True:
        code, page, _ = run_admin("user", "list", "--limit", "2", *(["--after", after] if after else []))
        assert code == 0 and len(page["users"]) <= 2
        assert_nothing_secret(page, PASSWORD)
        seen += [listed["sub"] for listed in page["users"]]
        after = page["next"]
        if after is None:
            break
    assert sorted(seen) == sorted([user.sub, *made])  # users only, not their identifier items, each once
    assert run_admin("user", "list", "--limit", "0")[0] == 1


def test_user_show_has_the_profile_and_no_hash(run_admin, user):
    code, shown, _ = run_admin("user", "show", "--email", "alice@example.com")
    assert code == 0
    assert shown["sub"] == user.sub and shown["username"] == "Alice" and shown["email_verified"] is True
    assert shown["name"] == "Alice Liddell" and shown["has_password"] is True and shown["blocked"] is False
    assert_nothing_secret(shown, PASSWORD)


def test_user_update_moves_the_email_and_frees_the_old_one(run_admin, stack, client, user, call_token,
                                                          password_form):
    code, shown, _ = run_admin("user", "update", "--sub", user.sub, "--new-email", "alice@new.example",
                               "--nickname", "", "--given-name", "Alicia")
    assert code == 0
    assert shown["email"] == "alice@new.example" and shown["email_verified"] is False  # a new address, unproven
    assert shown["given_name"] == "Alicia" and "nickname" not in shown
    assert call_token(password_form(username=None, email="alice@new.example")).status == 200
    assert call_token(password_form(username=None, email="alice@example.com")).status == 400
    # the old address is free for someone else
    create_user(stack.target, PASSWORD, email="Alice@Example.com")


def test_a_new_spelling_of_the_same_email_keeps_it_verified(run_admin, stack, user):
    code, shown, _ = run_admin("user", "update", "--sub", user.sub, "--new-email", "ALICE@example.COM")
    assert code == 0 and shown["email"] == "ALICE@example.COM" and shown["email_verified"] is True


def test_user_update_to_someone_elses_identifier_changes_nothing(run_admin, stack, client, user, call_token,
                                                                  password_form):
    create_user(stack.target, PASSWORD, username="bob", email="bob@example.com")
    code, printed, error = run_admin("user", "update", "--username", "alice", "--new-email", "BOB@example.com",
                                     "--new-username", "alice2")
    assert code == 1 and printed is None
    assert error == "oidc-admin: the email belongs to another user already\n"
    kept = users.find_by_sub(stack.target.users_table, user.sub)
    assert (kept.username, kept.email) == ("Alice", "Alice@Example.com")
    assert call_token(password_form()).status == 200  # still alice
    assert users.find_by_login(stack.target.users_table,
                               normalise("username", "alice2", "+86")) is None  # nothing half-claimed


def test_user_update_keeps_one_identifier_and_checks_the_email(run_admin, stack):
    only = create_user(stack.target, PASSWORD, username="solo")
    code, _, error = run_admin("user", "update", "--sub", only.sub, "--new-username", "")
    assert code == 1 and "needs a username, an email or a phone" in error
    code, _, error = run_admin("user", "update", "--sub", only.sub, "--new-email", "solo")
    assert code == 1 and "not an email address" in error
    code, _, error = run_admin("user", "update", "--sub", only.sub)
    assert code == 1 and "nothing to change" in error


def test_user_delete_asks_first(run_admin, stack, user, monkeypatch):
    code, _, error = run_admin("user", "delete", "--username", "alice")
    assert code == 1 and "--yes" in error
    monkeypatch.setattr("sys.stdin", Terminal("\n"))  # Enter: the default, no
    assert run_admin("user", "delete", "--username", "alice")[0] == 1
    assert users.find_by_sub(stack.target.users_table, user.sub) is not None


def test_a_deleted_user_leaves_no_session_and_frees_every_identifier(run_admin, stack, client, user, call_token,
                                                                     password_form):
    login = call_token(password_form(scope="openid offline_access"))
    assert login.status == 200, login
    settings = load_settings({"ISSUER": "https://auth.example.test/oidc", "TOKENS_TABLE": stack.target.tokens_table})
    now = int(time.time())
    browser_sessions.start(settings, sub=user.sub, user_epoch=user.session_epoch, now=now)
    consents.remember(settings, user.sub, CLIENT_ID, ["openid"], now)

    code, printed, _ = run_admin("user", "delete", "--email", "alice@example.com", "--yes")
    assert code == 0
    assert printed == {"sub": user.sub, "deleted": True, "identifiers_freed": ["username", "email", "phone"],
                       "refresh_token_families_revoked": 1, "browser_sessions_ended": 1, "consents_forgotten": 1}
    assert call_token(password_form()).status == 400
    left = [item["pk"]["S"] for item in tokens_items(stack) if item.get("sub", {}).get("S") == user.sub
            and not item["pk"]["S"].startswith("family#")]
    assert left == [] and not any(item["pk"]["S"].startswith("consent#") for item in tokens_items(stack))

    # A user brought back under the same sub (an import run again) starts afresh: the old refresh token is not theirs
    create_user(stack.target, PASSWORD, username="alice", sub=user.sub)
    reply = refresh(call_token, login.json()["refresh_token"])
    assert reply.status == 400 and reply.json()["error"] == "invalid_grant", reply
    # and the email and phone are free for anyone
    create_user(stack.target, PASSWORD, email="Alice@Example.com", phone="+8613800138000")


@pytest.mark.parametrize("who", [["--username", "nobody"], ["--sub", "no-such-sub"]])
def test_deleting_nobody_says_so(run_admin, who):
    code, printed, error = run_admin("user", "delete", *who, "--yes")
    assert code == 1 and printed is None and error.startswith("oidc-admin: no user with")
