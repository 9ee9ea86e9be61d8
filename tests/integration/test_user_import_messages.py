"""`oidc-admin users import` refusing a whole file says what the operator can do about it: a file of another source
names the --format it looks like; a file that is not text names the file; an identifier another user has says
which ones, in words."""

from __future__ import annotations

import json

import pytest
from test_user_import import BCRYPT, FIREBASE_FLAGS, auth0_file, authing_file, firebase_file, keycloak_file

from oidc_core.store import users

LOOKS_LIKE = {"keycloak": "a Keycloak realm export", "firebase": "a Firebase auth:export file",
              "auth0": "an Auth0 bulk-import file", "authing": "a list of Authing users"}
NAMED = {"native": "JSON Lines of our own user fields", **LOOKS_LIKE}
FILES = {"keycloak": keycloak_file, "firebase": firebase_file, "auth0": auth0_file, "authing": authing_file}


@pytest.mark.parametrize("actual, given", [
    ("keycloak", "auth0"), ("keycloak", "firebase"), ("keycloak", "authing"), ("keycloak", "native"),
    ("firebase", "auth0"), ("firebase", "keycloak"), ("auth0", "keycloak"), ("auth0", "native"),
    ("authing", "auth0"), ("authing", "keycloak"),
])
def test_a_file_of_another_source_names_the_format_it_looks_like(run_admin, stack, tmp_path, actual, given):
    path, _ = FILES[actual](tmp_path)
    flags = FIREBASE_FLAGS if given == "firebase" else []
    code, printed, error = run_admin("users", "import", str(path), "--format", given, *flags)
    assert code == 1 and printed is None
    assert error == f"oidc-admin: this looks like {LOOKS_LIKE[actual]}, not {NAMED[given]}: use --format {actual}\n"


def test_the_format_it_names_is_the_one_that_reads_it(run_admin, stack, tmp_path):
    path, _ = keycloak_file(tmp_path)
    code, report, _ = run_admin("users", "import", str(path), "--format", "keycloak", "--dry-run")
    assert code == 2 and report["imported"] > 0  # users[2] is refused by design (its iterations)


def test_a_json_array_given_as_native_says_native_is_json_lines(run_admin, stack, tmp_path):
    path = tmp_path / "users.json"
    path.write_text(json.dumps([{"sub": "a", "username": "a", "password_hash": BCRYPT}]))
    code, _, error = run_admin("users", "import", str(path), "--format", "native")
    assert code == 1
    assert error == "oidc-admin: native is one JSON object per line (JSON Lines), not one JSON document\n"


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", b"PK\x03\x04\x14\x00\x08\xff"])
def test_a_binary_file_is_refused_naming_the_file(run_admin, stack, tmp_path, content):
    path = tmp_path / "users-export.bin"
    path.write_bytes(content)
    code, printed, error = run_admin("users", "import", str(path), "--format", "auth0")
    assert code == 1 and printed is None
    assert error == f"oidc-admin: {path} is not a text file (not UTF-8): is it the JSON export?\n"
    assert "codec" not in error and "position" not in error


def test_utf16_is_named_and_a_utf8_byte_order_mark_is_read(run_admin, stack, tmp_path):
    row = json.dumps({"sub": "bom-1", "username": "bom", "password_hash": BCRYPT}) + "\n"
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_text(row, encoding="utf-16")
    code, _, error = run_admin("users", "import", str(utf16), "--format", "native")
    assert code == 1 and error == f"oidc-admin: {utf16} is UTF-16 text: save it as UTF-8 and import it again\n"
    bom = tmp_path / "bom.jsonl"
    bom.write_text(row, encoding="utf-8-sig")
    code, report, _ = run_admin("users", "import", str(bom), "--format", "native")
    assert code == 0 and report["imported"] == 1
    assert users.find_by_sub(stack.target.users_table, "bom-1").username == "bom"


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_two_identifiers_another_user_has_are_both_named(run_admin, stack, tmp_path, user, dry_run):
    path = tmp_path / "users.jsonl"
    path.write_text(json.dumps({"sub": "new-1", "username": "ALICE", "email": "alice@example.com",
                                "phone_number": "+8613900000001", "password_hash": BCRYPT}) + "\n")
    code, report, _ = run_admin("users", "import", str(path), "--format", "native", *dry_run)
    assert code == 2
    assert report["refusals"] == [{"where": "line 1", "id": "new-1",
                                   "reason": "the username and email belong to another user already"}]
    assert users.find_by_sub(stack.target.users_table, "new-1") is None
