"""Protection against online guessing, through the real TokenFunction handler against emulated DynamoDB: exact
lockout under parallel requests, locks per (account, IP) and per account, per-IP throttling, and failures that
cannot be told apart by answer or by work."""

from __future__ import annotations

import threading
import time
from collections import Counter

import boto3
import pytest

from helpers import CLIENT_ID, CLIENT_SECRET, PASSWORD, Reply, basic_auth, configure, token_event
from oidc_core import aws, config
from oidc_core.login import credentials
from oidc_core.login import lockout
from oidc_core.passwords import hashing
from oidc_core.store import users
from oidc_core.config import Argon2Parameters
from oidc_tools import template
from oidc_tools.lambda_events import LambdaContext
from oidc_tools.local_stack import load_handler
from oidc_tools.operations import create_user

INVALID = {"error": "invalid_grant", "error_description": "invalid credentials provided"}



@pytest.fixture
def locks_last(monkeypatch):
    """Locks that outlast any test, so no assertion depends on how fast the machine is."""
    configure(monkeypatch, LOCKOUT_BASE_SECONDS=3600, LOCKOUT_MAX_SECONDS=7200)


@pytest.fixture
def hash_checks(monkeypatch, client):
    """The Argon2id parameters of every password verification, against a user's hash or the dummy (a spy: the real
    function still runs). The client secret's verifications are left out: they are not what lockout limits."""
    checked = []
    real = hashing.verify_password

    def spy(password, phc_hash):
        if phc_hash != client.secret_hash:
            checked.append(hashing.parameters_of(phc_hash))
        return real(password, phc_hash)

    monkeypatch.setattr(hashing, "verify_password", spy)
    return checked


@pytest.fixture
def login_from(handlers, client, user):
    def send(password: str = PASSWORD, ip: str = "198.51.100.7", encrypt_type: str = "none", **identifier) -> Reply:
        form = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "password": password, "password_encrypt_type": encrypt_type, **(identifier or {"username": "alice"})}
        event = token_event(form)
        event["requestContext"]["http"]["sourceIp"] = ip
        return Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction")))

    return send


def test_50_parallel_wrong_passwords_reach_the_hash_at_most_threshold_times(stack, user, client, locks_last,
                                                                            hash_checks):
    function = template.functions(template.load())["TokenFunction"]
    containers = [load_handler(function) for _ in range(50)]  # as 50 Lambda containers would
    start = threading.Barrier(len(containers))
    replies = []

    def guess(handler, n):
        event = token_event({"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                             "username": "alice", "password": f"guess-{n}"})
        start.wait(timeout=60)
        replies.append(Reply(handler(event, LambdaContext("TokenFunction"))))

    threads = [threading.Thread(target=guess, args=(handler, n)) for n, handler in enumerate(containers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(replies) == 50
    assert all((reply.status, reply.json()) == (400, INVALID) for reply in replies)
    assert len(hash_checks) <= 5  # the pair threshold, however the 50 interleaved
    assert len(hash_checks) == 5  # and exactly that many: each reservation that passed was checked


def test_a_locked_pair_refuses_the_right_password_by_every_identifier(login_from, locks_last, hash_checks):
    for n in range(5):
        assert login_from(f"wrong-{n}").json() == INVALID
    before = len(hash_checks)
    for identifier in ({"username": "alice"}, {"email": "alice@example.com"}, {"phone": "13800138000"}):
        reply = login_from(PASSWORD, **identifier)
        assert (reply.status, reply.json()) == (400, INVALID), identifier
    assert len(hash_checks) == before  # decided before any hashing
    assert login_from(PASSWORD, ip="203.0.113.9").status == 200  # from elsewhere the user still logs in


def test_failures_from_many_addresses_lock_the_account_everywhere(login_from, locks_last):
    for n in range(20):
        assert login_from(f"wrong-{n}", ip=f"203.0.113.{n // 4}").json() == INVALID  # 4 per IP: no pair locks
    assert login_from(PASSWORD, ip="192.0.2.200").json() == INVALID


def test_a_success_resets_the_counts(login_from, locks_last):
    for _ in range(2):
        for n in range(4):
            assert login_from(f"wrong-{n}").json() == INVALID
        assert login_from(PASSWORD).status == 200
    assert login_from(PASSWORD).status == 200


def test_a_success_deletes_only_the_counters_there_are(stack, login_from, monkeypatch):
    """The pair counter always exists after its reservation; the account's only after a failure. A success deletes
    what there is: nothing is left behind, and no write is spent on a counter that was never made."""
    def counters():
        return sorted(item["pk"]["S"].split("#")[1] for item in
                      boto3.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]
                      if item["pk"]["S"].startswith("lock#"))

    calls = _dynamodb_calls(monkeypatch)
    assert login_from(PASSWORD).status == 200
    assert calls.count("DeleteItem") == 1 and counters() == []
    assert login_from("wrong").json() == INVALID
    assert counters() == ["pair", "user"]
    calls.clear()
    assert login_from(PASSWORD).status == 200
    assert calls.count("DeleteItem") == 2 and counters() == []


def test_each_further_failure_doubles_the_wait(stack, login_from, monkeypatch):
    configure(monkeypatch, LOCKOUT_BASE_SECONDS=60, LOCKOUT_MAX_SECONDS=150)
    settings = config.settings()
    assert [lockout.wait_after(settings, attempts, 5) for attempts in range(4, 9)] == [0, 60, 120, 150, 150]
    assert lockout.wait_after(settings, 10**12, 5) == 150  # a count that kept growing for years costs nothing
    for n in range(5):
        login_from(f"wrong-{n}")
    (pair,) = [item for item in boto3.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]
               if item["pk"]["S"].startswith("lock#pair#")]
    assert int(pair["attempts"]["N"]) == 5
    assert 55 <= int(pair["locked_until"]["N"]) - time.time() <= 60


def test_a_lock_opens_when_its_wait_is_over(stack, login_from, monkeypatch, locks_last):
    for n in range(5):
        login_from(f"wrong-{n}")
    assert login_from(PASSWORD).json() == INVALID
    for item in boto3.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]:
        if item["pk"]["S"].startswith("lock#"):  # the wait has passed
            boto3.client("dynamodb").update_item(
                TableName=stack.target.tokens_table, Key={"pk": item["pk"]},
                UpdateExpression="SET locked_until = :past", ExpressionAttributeValues={":past": {"N": "0"}})
    assert login_from(PASSWORD).status == 200


def test_identifiers_that_name_nobody_lock_too(login_from, locks_last, hash_checks):
    for n in range(5):
        assert login_from(f"wrong-{n}", username="nobody").json() == INVALID
    assert len(hash_checks) == 5  # the dummy verifications
    assert login_from("again", username="nobody").json() == INVALID
    assert len(hash_checks) == 5  # locked: no hashing, and the answer is the same


def test_the_visible_lock_answer_is_opt_in(login_from, monkeypatch, locks_last):
    configure(monkeypatch, LOCKOUT_VISIBLE="true")
    for n in range(5):
        assert login_from(f"wrong-{n}").json() == INVALID
    reply = login_from(PASSWORD)
    assert reply.status == 400 and reply.json()["error"] == "invalid_grant"
    assert "too many failed attempts" in reply.json()["error_description"]
    assert 3500 <= int(reply.headers["retry-after"]) <= 3600


def test_too_many_failures_from_one_address_get_429(login_from, call_token, monkeypatch, hash_checks):
    configure(monkeypatch, IP_FAILURE_THRESHOLD=6)
    for n in range(3):
        assert login_from(f"wrong-{n}").json() == INVALID
    for _ in range(3):  # client authentication failures count too
        assert call_token({"grant_type": "password"}, authorization=basic_auth(CLIENT_ID, "nope")).status == 401
    checks = len(hash_checks)
    reply = login_from(PASSWORD)
    assert reply.status == 429 and reply.json()["error"] == "too_many_requests"
    assert int(reply.headers["retry-after"]) > 0 and reply.headers["cache-control"] == "no-store"
    assert len(hash_checks) == checks  # refused before any hashing
    assert login_from(PASSWORD, ip="203.0.113.50").status == 200


def test_the_address_is_api_gateways_unless_proxies_are_trusted(login_from, handlers, monkeypatch):
    configure(monkeypatch, IP_FAILURE_THRESHOLD=2, TRUSTED_PROXY_HOPS=1)

    def from_behind_a_proxy(forwarded_for: str) -> Reply:
        event = token_event({"grant_type": "password", "client_id": CLIENT_ID, "client_secret": "nope"})
        event["headers"]["x-forwarded-for"] = forwarded_for
        return Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction")))

    # The caller chose the leftmost entries; only the one our proxy appended (rightmost) is believed.
    assert from_behind_a_proxy("1.1.1.1, 192.0.2.10").status == 401
    assert from_behind_a_proxy("2.2.2.2, 192.0.2.10").status == 401
    assert from_behind_a_proxy("3.3.3.3, 192.0.2.10").status == 429
    assert from_behind_a_proxy("3.3.3.3, 192.0.2.11").status == 401


def _dynamodb_calls(monkeypatch) -> list[str]:
    calls = []
    aws.client("dynamodb").meta.events.register("before-call.dynamodb.*",
                                                lambda model, **kwargs: calls.append(model.name))
    return calls


@pytest.fixture
def parallel_stages(monkeypatch):
    """How many calls of aws.in_parallel a request makes (each is one round trip, however many calls it holds)."""
    stages = []
    real = aws.in_parallel

    def spy(*calls):
        stages.append(len(calls))
        return real(*calls)

    monkeypatch.setattr(aws, "in_parallel", spy)
    return stages


def test_every_failure_does_the_same_work_and_gets_the_same_answer(stack, login_from, monkeypatch, locks_last,
                                                                   hash_checks, parallel_stages):
    create_user(stack.target, "blocked password", username="blocked", blocked=True)
    create_user(stack.target, "locked password", username="locked-user")
    for n in range(5):
        login_from(f"wrong-{n}", username="locked-user")

    outcomes = {
        "unknown user": dict(password="whatever", username="nobody-here"),
        "wrong password": dict(password="wrong", username="alice"),
        "blocked user": dict(password="blocked password", username="blocked"),
        "locked user": dict(password="locked password", username="locked-user"),
        "undecryptable password": dict(password="not a ciphertext", username="alice", encrypt_type="rsa"),
    }
    seen = {}
    for outcome, attempt in outcomes.items():
        calls = _dynamodb_calls(monkeypatch)
        parallel_stages.clear()
        checks = len(hash_checks)
        reply = login_from(**attempt)
        seen[outcome] = (reply.status, reply.json(), reply.headers, Counter(calls), list(parallel_stages),
                         len(hash_checks) - checks)
        aws.client("dynamodb").meta.events.unregister("before-call.dynamodb.*")

    answers = {outcome: (status, body, headers) for outcome, (status, body, headers, *_) in seen.items()}
    assert len({repr(answer) for answer in answers.values()}) == 1, answers
    work = {outcome: (calls, stages) for outcome, (_, _, _, calls, stages, _) in seen.items()}
    assert len({repr(each) for each in work.values()}) == 1, work
    # BatchGetItem (client, identifier, IP window); one stage reading the user and the account's lock (one
    # BatchGetItem) and reserving the attempt; one stage recording the failure (address, pair, account): three round
    # trips whatever went wrong.
    (calls, stages) = work["wrong password"]
    assert calls == Counter({"BatchGetItem": 2, "UpdateItem": 4})
    assert stages == [2, 3]
    hashes = {outcome: checks for outcome, (*_, checks) in seen.items()}
    assert hashes == {"unknown user": 1, "wrong password": 1, "blocked user": 1, "locked user": 0,
                      "undecryptable password": 1}


def test_the_dummy_hash_costs_what_a_stored_hash_costs(stack, login_from, monkeypatch, hash_checks):
    """After an operator raises the Argon2id parameters, stored hashes keep the old ones until their users log in:
    a missing user must cost what such a stored hash costs, not what the configuration says."""
    monkeypatch.setattr(hashing, "_stored_parameters", [])
    configure(monkeypatch, ARGON2_MEMORY_KIB=32768)
    assert login_from("wrong").json() == INVALID  # a real user's stored hash: m=19456
    assert login_from("wrong", username="nobody").json() == INVALID
    real, dummy = hash_checks[-2:]
    assert real == dummy == Argon2Parameters(memory_kib=19456, iterations=2, lanes=1)


def test_a_password_grant_makes_two_round_trips_before_the_hash(stack, login_from, monkeypatch, user,
                                                                parallel_stages):
    calls = _dynamodb_calls(monkeypatch)
    seen_before_hash = []
    real = hashing.verify_password

    def mark(password, phc_hash):
        if phc_hash == user.password_hash:
            seen_before_hash.extend(calls)
        return real(password, phc_hash)

    monkeypatch.setattr(hashing, "verify_password", mark)
    assert login_from(PASSWORD).status == 200
    assert Counter(seen_before_hash) == Counter({"BatchGetItem": 2, "UpdateItem": 1})
    assert parallel_stages[0] == 2  # the user and the account's lock (one BatchGetItem), the reservation: one trip


def test_login_events_carry_no_raw_identifier_and_say_what_happened(login_from, caplog):
    login_from("wrong-password-value", email="Alice@Example.com")
    login_from(PASSWORD)
    events = [record.__dict__ for record in caplog.records if record.getMessage() == "login attempt"]
    assert [(event["outcome"], event["reason"]) for event in events] == [("failed", "wrong_password"),
                                                                          ("succeeded", "password")]
    for event in events:
        assert event["client_id"] == CLIENT_ID and event["source_ip"] == "198.51.100.7" and event["sub"]
        assert len(event["identifier_hash"]) == 32
    logged = repr([record.__dict__ for record in caplog.records]).lower()
    assert "alice@example.com" not in logged and "wrong-password-value" not in logged


@pytest.mark.parametrize("variant", ["ａｌｉｃｅ", "ALICE", " Alice ", "ＡＬＩＣＥ"])
def test_identifiers_are_one_account_in_nfkc_case_folded_form(login_from, variant):
    assert login_from(PASSWORD, username=variant).status == 200


@pytest.mark.parametrize("username", ["ali\u200bce", "alice\u0000", "al\u202eice", "\ue000alice", "ali\U000e0001ce"])
def test_invisible_or_unassigned_characters_are_refused_and_match_nobody(stack, login_from, username):
    with pytest.raises(ValueError):
        create_user(stack.target, "a long password", username=username)
    assert login_from(PASSWORD, username=username).json() == INVALID


def test_a_phone_number_is_ascii_digits_only(stack, login_from):
    with pytest.raises(ValueError):
        create_user(stack.target, "a long password", phone="+86１３９００１３９０００")
    assert login_from(PASSWORD, phone="+86１３８００１３８０００").json() == INVALID
    assert login_from(PASSWORD, phone="+8613800138000").status == 200


def test_users_from_before_nfkc_are_migrated_by_the_admin_command(stack, login_from):
    from oidc_tools.operations import migrate_identifiers

    dynamodb = boto3.client("dynamodb")
    old_user = create_user(stack.target, "an old password", username="olduser")
    # As the old rules stored a username: trimmed and lower-cased only, so 'Straße' stayed 'straße'.
    dynamodb.delete_item(TableName=stack.target.users_table, Key={"pk": {"S": "username#olduser"}})
    dynamodb.put_item(TableName=stack.target.users_table,
                      Item={"pk": {"S": "username#straße"}, "sub": {"S": old_user.sub}})
    assert login_from("an old password", username="Straße").json() == INVALID  # 'strasse' under NFKC_Casefold
    report = migrate_identifiers(stack.target)
    assert report["migrated"] == 1 and not report["conflicts"] and not report["unusable"]
    assert login_from("an old password", username="STRASSE").status == 200
    assert migrate_identifiers(stack.target)["migrated"] == 0  # idempotent


def test_a_blocked_user_is_not_unlocked_by_guessing(stack, login_from, user):
    users.set_blocked(stack.target.users_table, user.sub, True)
    assert login_from(PASSWORD).json() == INVALID


def test_login_module_is_the_one_path_for_passwords():
    """Every grant that checks a password goes through credentials.check_password (the lockout lives there)."""
    from pathlib import Path

    import oidc_core

    package = Path(oidc_core.__file__).parent
    callers = [path.relative_to(package).as_posix() for path in package.rglob("*.py")
               if ("verify_password(" in path.read_text() or "imported.verify(" in path.read_text()
                   or "upstream.migrate(" in path.read_text())
               and path.relative_to(package).as_posix() not in ("passwords/hashing.py", "passwords/imported.py",
                                                                 "login/client_auth.py", "login/upstream.py")]
    assert callers == ["login/credentials.py"]
    assert credentials.check_password


def test_the_address_window_is_one_item_and_only_its_window_counts(stack, login_from, monkeypatch):
    """The per-IP window is one item read with the client (not a read per bucket); failures in buckets that have left
    the window do not count, and the next failure removes them."""
    from oidc_core.login import ip_throttle

    # Buckets of 10^7 s: no test run crosses from one to the next between reading the clock and logging in.
    configure(monkeypatch, IP_FAILURE_THRESHOLD=3, IP_FAILURE_WINDOW_SECONDS=24 * 10**7)
    settings = config.settings()
    reads = []
    aws.client("dynamodb").meta.events.register(
        "provide-client-params.dynamodb.BatchGetItem",
        lambda params, **_: reads.append(params["RequestItems"].get(settings.tokens_table, {}).get("Keys", [])))
    assert login_from("wrong").json() == INVALID
    ip_keys = [key for key in reads[0] if key["pk"]["S"].startswith("ipfail#")]
    assert len(ip_keys) == 1
    (ip_key,) = ip_keys

    bucket = int(time.time()) // (settings.lockout.ip_window_seconds // ip_throttle.BUCKETS)
    table = boto3.client("dynamodb")

    def counters(**buckets):
        table.put_item(TableName=settings.tokens_table, Item={
            "pk": ip_key["pk"], **{name: {"N": str(count)} for name, count in buckets.items()}})

    counters(**{f"f{bucket - ip_throttle.BUCKETS}": 100})  # just left the window
    assert login_from(PASSWORD).status == 200
    counters(**{f"f{bucket - ip_throttle.BUCKETS + 1}": 100})  # the oldest bucket still in it
    assert login_from(PASSWORD).status == 429

    counters(**{f"f{bucket - ip_throttle.BUCKETS}": 100, f"f{bucket - 2 * ip_throttle.BUCKETS}": 100})
    assert login_from("wrong").json() == INVALID
    item = table.get_item(TableName=settings.tokens_table, Key=ip_key, ConsistentRead=True)["Item"]
    assert set(item) == {"pk", f"f{bucket}", "expires_at"}  # the failure counted, what left the window removed
    assert item[f"f{bucket}"] == {"N": "1"}
