"""`oidc-admin users import`, each format as its source writes it, a few hundred users each against the emulated table;
the imported users log in through the real TokenFunction with their source's sub and password."""

from __future__ import annotations

import base64
import hashlib
import json

import bcrypt
import jwt
import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from oidc_core.config import OWASP_MINIMUM_ARGON2
from oidc_core.passwords import hashing
from oidc_core.store import users
from oidc_core.store.dynamo import from_item

COUNT = 200
PASSWORD = "imported pässword"
FIREBASE = {"hash_key": "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
            "salt_separator": "Bw==", "rounds": 8, "mem_cost": 14}
FIREBASE_FLAGS = ["--hash-key", FIREBASE["hash_key"], "--salt-separator", FIREBASE["salt_separator"], "--rounds", "8",
                  "--mem-cost", "14"]


def _table(stack) -> dict:
    from oidc_core import aws

    items = {}
    for page in aws.client("dynamodb").get_paginator("scan").paginate(TableName=stack.target.users_table):
        items.update({item["pk"]["S"]: from_item(item) for item in page["Items"]})
    return items


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# -- files as each source writes them ----------------------------------------------------------------------------------

BCRYPT = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


def auth0_file(tmp_path):
    users_ = [{"user_id": f"auth0|{index:024x}", "email": f"user{index}@example.com", "email_verified": True,
               "given_name": "Given", "family_name": f"Family{index}", "name": f"User {index}", "nickname": f"u{index}",
               "picture": f"https://cdn.example.com/{index}.png", "password_hash": BCRYPT} for index in range(COUNT)]
    salt = b"auth0-salt"
    customs = {
        "md5": {"algorithm": "md5", "hash": {"value": hashlib.md5(salt + PASSWORD.encode()).hexdigest(),
                                             "encoding": "hex"},
                "salt": {"value": salt.decode(), "encoding": "utf8", "position": "prefix"}},
        "sha256": {"algorithm": "sha256", "hash": {"value": _b64(hashlib.sha256(PASSWORD.encode() + salt).digest()),
                                                   "encoding": "base64"},
                   "salt": {"value": _b64(salt), "encoding": "base64", "position": "suffix"}},
        "sha1-utf16le": {"algorithm": "sha1", "hash": {"value": hashlib.sha1(PASSWORD.encode("utf-16-le")).hexdigest(),
                                                       "encoding": "hex"}, "password": {"encoding": "utf16le"}},
        "pbkdf2": {"algorithm": "pbkdf2", "hash": {
            "value": "$pbkdf2-sha512$i=1000,l=64$" + _b64(salt).rstrip("=") + "$" + _b64(hashlib.pbkdf2_hmac(
                "sha512", PASSWORD.encode(), salt, 1000, 64)).rstrip("="), "encoding": "utf8"}},
        "hmac": {"algorithm": "hmac", "hash": {
            "value": _b64(__import__("hmac").new(b"hmac key", PASSWORD.encode(), "sha256").digest()),
            "encoding": "base64", "digest": "sha256", "key": {"value": "hmac key", "encoding": "utf8"}}},
        "ldap": {"algorithm": "ldap", "hash": {"value": "{SSHA}" + _b64(hashlib.sha1(PASSWORD.encode() + salt).digest()
                                                                        + salt), "encoding": "utf8"}},
        "scrypt": {"algorithm": "scrypt", "hash": {"value": hashlib.scrypt(PASSWORD.encode(), salt=salt, n=1024, r=8,
                                                                           p=1, dklen=32).hex(), "encoding": "hex"},
                   "salt": {"value": salt.hex(), "encoding": "hex"}, "keylen": 32, "cost": 1024},
        "argon2": {"algorithm": "argon2", "hash": {"value": Argon2id(
            salt=b"0123456789abcdef", length=32, iterations=2, lanes=1, memory_cost=4096).derive_phc_encoded(
            PASSWORD.encode()), "encoding": "utf8"}},
        "md4": {"algorithm": "md4", "hash": {"value": "d9130a8164549fe818874806e1c7014b", "encoding": "hex"}},
    }
    for index, (name, custom) in enumerate(customs.items()):
        del users_[index]["password_hash"]
        users_[index]["custom_password_hash"] = custom
        users_[index]["username"] = f"custom-{name}"
    # refusals: a bcrypt cost beyond the ceiling, an email another row of the file has, an unknown algorithm
    users_[20]["password_hash"] = BCRYPT.replace("$04$", "$17$", 1)
    users_[21]["email"] = users_[22]["email"]
    users_[23]["custom_password_hash"], users_[23]["password_hash"] = {"algorithm": "whirlpool", "hash": {
        "value": "00", "encoding": "hex"}}, None
    path = tmp_path / "auth0.json"
    path.write_text(json.dumps(users_))
    return path, {"[20]": "bcrypt cost 17", "[22]": "also in [21]", "[23]": "unknown custom_password_hash.algorithm"}


def keycloak_file(tmp_path):
    def credential(index):
        salt = hashlib.sha256(str(index).encode()).digest()[:16]
        algorithm = ("pbkdf2-sha256", "pbkdf2-sha512", "pbkdf2")[index % 3]
        digest = {"pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512", "pbkdf2": "sha1"}[algorithm]
        # Keycloak's provider: PBKDF2WithHmacSHA… of the password, 512-bit key, base64 value and salt
        value = hashlib.pbkdf2_hmac(digest, PASSWORD.encode(), salt, 100 + index, 64)
        return {"type": "password", "createdDate": 1700000000000,
                "secretData": json.dumps({"value": _b64(value), "salt": _b64(salt), "additionalParameters": {}}),
                "credentialData": json.dumps({"hashIterations": 100 + index, "algorithm": algorithm,
                                              "additionalParameters": {}})}

    users_ = [{"id": f"0f1e2d3c-4b5a-6978-8796-{index:012x}", "username": f"kc{index}", "enabled": True,
               "email": f"kc{index}@example.com", "emailVerified": index % 2 == 0, "firstName": "Key",
               "lastName": f"Cloak{index}", "attributes": {"phoneNumber": [f"+861380013{index:04d}"]},
               "credentials": [credential(index)]} for index in range(COUNT)]
    salt = b"argon-salt-16byt"
    raw = Argon2id(salt=salt, length=32, iterations=3, lanes=1, memory_cost=7168).derive(PASSWORD.encode())
    users_[0]["credentials"] = [{"type": "password", "secretData": json.dumps({"value": _b64(raw), "salt": _b64(salt)}),
                                 "credentialData": json.dumps({"hashIterations": 3, "algorithm": "argon2",
                                                               "additionalParameters": {
                                                                   "hashLength": ["32"], "memory": ["7168"],
                                                                   "type": ["id"], "version": ["1.3"],
                                                                   "parallelism": ["1"]}})}]
    users_[1]["enabled"] = False
    users_[2]["credentials"][0]["credentialData"] = json.dumps({"hashIterations": 10_000_001,
                                                                "algorithm": "pbkdf2-sha256"})
    path = tmp_path / "realm-export.json"
    path.write_text(json.dumps({"realm": "demo", "users": users_}))
    return path, {"users[2]": "iterations 10000001"}


def firebase_file(tmp_path):
    users_ = [{"localId": f"Fb{index:026d}", "email": f"fb{index}@example.com", "emailVerified": True,
               "passwordHash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
               "salt": "42xEC+ixf3L2lw==", "displayName": f"Fire {index}", "photoUrl": "https://x.example/p.png",
               "createdAt": "1700000000000", "disabled": False, "providerUserInfo": []} for index in range(COUNT)]
    users_[5]["email"] = "not an email with a \u200b zero width space"
    path = tmp_path / "firebase.json"
    path.write_text(json.dumps({"users": users_}))
    return path, {"users[5]": "zero-width"}


def authing_file(tmp_path):
    users_ = [{"userId": f"6{index:023x}", "username": f"authing{index}", "email": f"au{index}@example.com",
               "phone": f"1390013{index:04d}", "phoneCountryCode": "+86", "name": f"Au {index}",
               "nickname": f"au{index}", "photo": "https://files.authing.co/a.png", "emailVerified": True,
               "phoneVerified": False, "status": "Activated", "externalId": f"ext-{index}"} for index in range(COUNT)]
    users_[3]["status"] = "Suspended"
    users_[4]["userId"] = ""
    path = tmp_path / "authing.json"
    path.write_text(json.dumps({"statusCode": 200, "message": "", "data": {"totalCount": COUNT, "list": users_}}))
    return path, {"[4]": "no user id"}


def native_file(tmp_path):
    stored = hashing.hash_password(PASSWORD, OWASP_MINIMUM_ARGON2)
    lines = [json.dumps({"sub": f"native/{index}+é", "username": f"native{index}", "email": f"n{index}@example.com",
                         "email_verified": True, "name": f"Native {index}", "password_hash": stored,
                         "address": {"country": "CN"}}) for index in range(COUNT)]
    lines[7] = lines[7].replace('"username"', '"usrname"')
    lines[8] = "{not json"
    path = tmp_path / "users.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path, {"line 8": "unknown fields: usrname", "line 9": "not a JSON object"}


FILES = {"auth0": (auth0_file, []), "keycloak": (keycloak_file, []), "firebase": (firebase_file, FIREBASE_FLAGS),
         "authing": (authing_file, []), "native": (native_file, [])}


@pytest.mark.parametrize("source_format", sorted(FILES))
def test_a_file_imports_reports_its_refusals_and_a_rerun_changes_nothing(run_admin, stack, tmp_path, source_format):
    make, flags = FILES[source_format]
    path, refusals = make(tmp_path)

    code, dry, _ = run_admin("users", "import", str(path), "--format", source_format, "--dry-run", *flags)
    assert code == 2 and dry["dry_run"] and dry["imported"] == COUNT - len(refusals)
    assert [key for key in _table(stack) if key.startswith("user#")] == []

    code, report, output = run_admin("users", "import", str(path), "--format", source_format, *flags)
    assert code == 2
    assert (report["imported"], report["skipped"], report["refused"]) == (COUNT - len(refusals), 0, len(refusals))
    assert {refusal["where"]: refusal["reason"] for refusal in report["refusals"]}.keys() == refusals.keys()
    for refusal in report["refusals"]:
        assert refusals[refusal["where"]] in refusal["reason"]
    printed = json.dumps(report) + output
    for secret in ("$2b$", "$pbkdf2", "lSrfV15cpx95", "$argon2", PASSWORD):
        assert secret not in printed
    before = _table(stack)

    code, again, _ = run_admin("users", "import", str(path), "--format", source_format, *flags)
    assert (again["imported"], again["skipped"], again["refused"]) == (0, COUNT - len(refusals), len(refusals))
    assert _table(stack) == before


def _login(call_token, password_form, **identifier_and_password):
    return call_token(password_form(**{"username": None, "scope": "openid profile email phone",
                                       **identifier_and_password}))


def test_imported_users_log_in_with_their_source_sub_and_claims(run_admin, stack, tmp_path, call_token, password_form,
                                                                client):
    for source_format, (make, flags) in FILES.items():
        path, _ = make(tmp_path)
        assert run_admin("users", "import", str(path), "--format", source_format, *flags)[0] == 2

    expected = {  # identifier, password, sub, claims
        "auth0 bcrypt": ({"email": "user30@example.com"}, PASSWORD, "auth0|" + f"{30:024x}",
                         {"name": "User 30", "given_name": "Given", "family_name": "Family30", "nickname": "u30",
                          "picture": "https://cdn.example.com/30.png", "email_verified": True}),
        **{f"auth0 {name}": ({"username": f"custom-{name}"}, "message digest" if name == "md4" else PASSWORD,
                             f"auth0|{index:024x}", {})
           for index, name in enumerate(("md5", "sha256", "sha1-utf16le", "pbkdf2", "hmac", "ldap", "scrypt", "argon2",
                                         "md4"))},
        "keycloak argon2": ({"username": "kc0"}, PASSWORD, "0f1e2d3c-4b5a-6978-8796-000000000000",
                            {"given_name": "Key", "family_name": "Cloak0", "name": "Key Cloak0"}),
        "keycloak pbkdf2-sha512": ({"phone": "+8613800130004"}, PASSWORD, "0f1e2d3c-4b5a-6978-8796-000000000004",
                                   {"phone_number": "+8613800130004", "email_verified": True}),
        "keycloak pbkdf2": ({"email": "kc5@example.com"}, PASSWORD, "0f1e2d3c-4b5a-6978-8796-000000000005",
                            {"email_verified": False}),
        "firebase": ({"email": "fb9@example.com"}, "user1password", f"Fb{9:026d}",
                     {"name": "Fire 9", "picture": "https://x.example/p.png"}),
        "native": ({"username": "native3"}, PASSWORD, "native/3+é", {"name": "Native 3"}),
    }
    for label, (identifier, password, sub, claims) in expected.items():
        wrong = _login(call_token, password_form, password="not it", **identifier)
        assert wrong.status == 400 and wrong.json()["error"] == "invalid_grant", label
        reply = _login(call_token, password_form, password=password, **identifier)
        assert reply.status == 200, (label, reply)
        id_token = jwt.decode(reply.json()["id_token"], options={"verify_signature": False})
        assert id_token["sub"] == sub, label
        assert {name: id_token.get(name) for name in claims} == claims, label
        assert users.find_by_sub(stack.target.users_table, sub).password_hash.startswith("$argon2id$v=19$m=19456,"), label

    # A disabled Keycloak user and a suspended Authing user are blocked; Authing users wait for the upstream.
    assert users.find_by_sub(stack.target.users_table, "0f1e2d3c-4b5a-6978-8796-000000000001").blocked
    assert users.find_by_sub(stack.target.users_table, f"6{3:023x}").blocked
    waiting = users.find_by_sub(stack.target.users_table, f"6{10:023x}")
    assert waiting.password_hash == "" and waiting.phone_number == "+8613900130010" and not waiting.blocked
    assert _login(call_token, password_form, username="authing10", password="").status == 400
    assert _login(call_token, password_form, username="authing10", password="anything").json()["error"] == \
        "invalid_grant"


def test_an_identifier_someone_has_already_refuses_the_row(run_admin, stack, tmp_path, user):
    path = tmp_path / "users.jsonl"
    path.write_text(json.dumps({"sub": "new-1", "email": "alice@example.com", "password_hash": BCRYPT}) + "\n" +
                    json.dumps({"sub": "new-2", "email": "bob@example.com", "password_hash": BCRYPT}) + "\n")
    code, report, _ = run_admin("users", "import", str(path), "--format", "native")
    assert code == 2 and report["imported"] == 1
    assert report["refusals"] == [{"where": "line 1", "id": "new-1",
                                   "reason": "the email belongs to another user already"}]
    assert users.find_by_sub(stack.target.users_table, "new-1") is None
    assert users.find_by_sub(stack.target.users_table, user.sub).email == "Alice@Example.com"


def test_on_conflict_update_changes_the_profile_and_keeps_a_password_set_since(run_admin, stack, tmp_path, call_token,
                                                                               password_form, client):
    path = tmp_path / "users.jsonl"
    row = {"sub": "auth0|upd", "username": "updme", "email": "old@example.com", "name": "Old", "password_hash": BCRYPT}
    path.write_text(json.dumps(row) + "\n")
    assert run_admin("users", "import", str(path), "--format", "native")[0] == 0
    assert call_token(password_form(username="updme", password=PASSWORD)).status == 200  # upgraded to Argon2id
    upgraded = users.find_by_sub(stack.target.users_table, "auth0|upd").password_hash

    path.write_text(json.dumps({**row, "email": "new@example.com", "name": "New"}) + "\n")
    code, report, _ = run_admin("users", "import", str(path), "--format", "native")
    assert (code, report["skipped"], report["updated"]) == (0, 1, 0)  # skip is the default
    code, report, _ = run_admin("users", "import", str(path), "--format", "native", "--on-conflict", "update")
    assert (code, report["updated"]) == (0, 1)
    user = users.find_by_sub(stack.target.users_table, "auth0|upd")
    assert (user.email, user.profile["name"], user.password_hash) == ("new@example.com", "New", upgraded)
    assert call_token(password_form(username=None, email="new@example.com", password=PASSWORD)).status == 200
    assert call_token(password_form(username=None, email="old@example.com", password=PASSWORD)).status == 400
    code, report, _ = run_admin("users", "import", str(path), "--format", "native", "--on-conflict", "update")
    assert (report["updated"], report["skipped"]) == (0, 1)  # the same file again changes nothing


def test_firebase_hashes_without_the_project_parameters_are_refused(run_admin, tmp_path):
    path, _ = firebase_file(tmp_path)
    code, report, _ = run_admin("users", "import", str(path), "--format", "firebase")
    assert code == 2 and report["imported"] == 0
    assert "--hash-key" in report["refusals"][0]["reason"]
    code, _, error = run_admin("users", "import", str(path), "--format", "auth0", "--rounds", "8")
    assert code == 1 and "for --format firebase" in error


def test_a_file_of_another_format_is_one_clear_error(run_admin, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[]")
    code, _, error = run_admin("users", "import", str(path), "--format", "keycloak")
    assert code == 1 and "users array" in error


def test_the_migration_bench_runs_and_prints_its_tables():
    """`make bench`'s import and failed-login figures, run once quickly: it still executes (no figure is judged)."""
    import subprocess
    import sys

    from oidc_tools.bench import migration as bench_migration
    from stack_process import ROOT

    result = subprocess.run([sys.executable, "-m", "oidc_tools.bench.migration", "--quick"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert [line[5:] for line in result.stdout.splitlines() if line.startswith("#### ")] == bench_migration.titles()


def test_migration_status_counts_users_still_on_an_imported_hash_by_algorithm(run_admin, stack, tmp_path, call_token,
                                                                             password_form, client):
    path, refusals = auth0_file(tmp_path)
    run_admin("users", "import", str(path), "--format", "auth0")
    code, status, _ = run_admin("migration", "status")
    expected = {"bcrypt": COUNT - 9 - len(refusals), "md5": 1, "sha256": 1, "sha1": 2, "pbkdf2-sha512": 1,
                "hmac-sha256": 1, "scrypt": 1, "md4": 1}  # the Argon2id custom hash is native already
    assert code == 0 and status["on_imported_hash"] == expected
    assert status["users"] == COUNT - len(refusals) and status["waiting_for_upstream_login"] == 0
    assert call_token(password_form(username="custom-md5", password=PASSWORD)).status == 200
    upgraded = run_admin("migration", "status")[1]["on_imported_hash"]
    assert upgraded == {name: number for name, number in expected.items() if name != "md5"}  # upgraded at login
