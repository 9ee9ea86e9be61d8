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
from oidc_tools.local.lambda_events import LambdaContext
from oidc_tools.local.stack import load_handler
from oidc_tools.stack.operations import create_user

INVALID = {"error": "invalid_grant", "error_description": "invalid credentials provided"}



@pytest.fixture
def locks_last(monkeypatch):
    """Locks that outlast any test, so no assertion depends on how fast the machine is: the provisional lock too,
    which in production needs to outlast one verification, not dozens of threads contending for two cores."""
    configure(monkeypatch, LOCKOUT_BASE_SECONDS=3600, LOCKOUT_MAX_SECONDS=7200)
    monkeypatch.setattr(lockout, "PROVISIONAL_LOCK_SECONDS", 3600)


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
def guesses_checked(monkeypatch, user):
    """The passwords verified against the user's own stored hash: the guesses that were checked (a spy: the real
    function still runs). Dummy verifications, which check nothing, are left out."""
    checked = []
    real = hashing.verify_password

    def spy(password, phc_hash):
        if phc_hash == user.password_hash:
            checked.append(password)
        return real(password, phc_hash)

    monkeypatch.setattr(hashing, "verify_password", spy)
    return checked


def _lock_items(stack) -> dict[str, dict]:
    return {item["pk"]["S"]: item for item in boto3.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]
            if item["pk"]["S"].startswith("lock#")}


@pytest.fixture
def login_from(handlers, client, user):
    def send(password: str = PASSWORD, ip: str = "198.51.100.7", encrypt_type: str = "none", **identifier) -> Reply:
        form = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "password": password, "password_encrypt_type": encrypt_type, **(identifier or {"username": "alice"})}
        event = token_event(form)
        event["requestContext"]["http"]["sourceIp"] = ip
        return Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction")))

    return send


def _guess_in_parallel(guesses: list[tuple[str, str]]) -> list[Reply]:
    """Each (password, source address) as its own Lambda container's request, all released at once."""
    function = template.functions(template.load())["TokenFunction"]
    containers = [load_handler(function) for _ in guesses]
    start = threading.Barrier(len(containers))
    replies = []

    def guess(handler, password, ip):
        event = token_event({"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                             "username": "alice", "password": password})
        event["requestContext"]["http"]["sourceIp"] = ip
        start.wait(timeout=60)
        replies.append(Reply(handler(event, LambdaContext("TokenFunction"))))

    threads = [threading.Thread(target=guess, args=(handler, password, ip))
               for handler, (password, ip) in zip(containers, guesses, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(replies) == len(guesses)
    return replies


def _counts(stack) -> dict[str, int]:
    """The count each lock counter holds, by kind (pair or user), summed."""
    counts = Counter()
    for key, item in _lock_items(stack).items():
        counts[key.split("#")[1]] += int(item.get("attempts", {"N": "0"})["N"])
    return dict(counts)


def test_50_parallel_wrong_passwords_reach_the_hash_at_most_threshold_times(stack, user, client, locks_last,
                                                                            guesses_checked):
    replies = _guess_in_parallel([(f"guess-{n}", "198.51.100.7") for n in range(50)])  # as 50 Lambda containers
    assert all((reply.status, reply.json()) == (400, INVALID) for reply in replies)
    assert 1 <= len(guesses_checked) <= 5  # the pair threshold, however the 50 interleaved
    # and every reservation that passed was either checked or given back: the counts are the checks
    assert _counts(stack) == {"pair": len(guesses_checked), "user": len(guesses_checked)}


def test_parallel_guesses_from_many_addresses_reach_the_hash_at_most_the_account_threshold_times(
        stack, user, client, monkeypatch, locks_last, guesses_checked):
    """20 addresses, each under its pair's threshold, guessing together: the account's count is reserved before the
    hash like the pair's, so no more guesses are checked than the account threshold allows, however they interleave."""
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD=5, LOCKOUT_USER_THRESHOLD=20)
    replies = _guess_in_parallel([(f"guess-{ip}-{n}", f"203.0.113.{ip}") for ip in range(20) for n in range(3)])
    assert all((reply.status, reply.json()) == (400, INVALID) for reply in replies)
    assert len(guesses_checked) <= 20  # the account threshold, however the 60 interleaved
    # and exactly that many: no pair refused (3 guesses each), so each account reservation was checked
    assert len(guesses_checked) == 20 and _counts(stack)["user"] == 20


def test_a_locked_pair_refuses_the_right_password_by_every_identifier(login_from, locks_last, guesses_checked):
    for n in range(5):
        assert login_from(f"wrong-{n}").json() == INVALID
    before = len(guesses_checked)
    for identifier in ({"username": "alice"}, {"email": "alice@example.com"}, {"phone": "13800138000"}):
        reply = login_from(PASSWORD, **identifier)
        assert (reply.status, reply.json()) == (400, INVALID), identifier
    assert len(guesses_checked) == before  # decided before any hashing: the password was never checked
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


def test_a_success_deletes_both_counters(stack, login_from, monkeypatch):
    """Both counters exist after the attempt's reservations; a success deletes them, in one call (issue 27 point 10:
    a BatchWriteItem of the two deletes), and nothing is left behind."""
    calls = _dynamodb_calls(monkeypatch)
    assert login_from(PASSWORD).status == 200
    assert (calls.count("BatchWriteItem"), calls.count("DeleteItem")) == (1, 0) and _lock_items(stack) == {}
    assert login_from("wrong").json() == INVALID
    assert sorted(key.split("#")[1] for key in _lock_items(stack)) == ["pair", "user"]
    calls.clear()
    assert login_from(PASSWORD).status == 200
    assert (calls.count("BatchWriteItem"), calls.count("DeleteItem")) == (1, 0) and _lock_items(stack) == {}


def test_a_warm_password_grant_without_offline_access_makes_at_most_five_aws_calls(login_from, monkeypatch):
    """Issue 27 point 10: the client, identifier and address read; the two reservations with the user's read; one
    reset. Exactness stays: both counters are still reserved before the hash."""
    assert login_from(PASSWORD).status == 200  # warm: the client's secret and the keys are cached
    calls = _dynamodb_calls(monkeypatch)
    assert login_from(PASSWORD).status == 200
    assert len(calls) <= 5, calls
    assert calls.count("UpdateItem") == 2  # the pair's and the account's reservations


def test_counters_a_reset_could_not_delete_are_sent_again(stack, login_from, monkeypatch):
    """BatchWriteItem may leave items unprocessed (throttling): they are sent again, so the counts still reset."""
    from oidc_core.login import lockout

    client = aws.client("dynamodb")
    real = client.batch_write_item
    sent = []

    def leaves_one_unprocessed(RequestItems):
        sent.append(RequestItems)
        if len(sent) > 1:
            return real(RequestItems=RequestItems)
        table, requests = next(iter(RequestItems.items()))
        real(RequestItems={table: requests[:1]})
        return {"UnprocessedItems": {table: requests[1:]}}

    monkeypatch.setattr(client, "batch_write_item", leaves_one_unprocessed)
    assert login_from("wrong").json() == INVALID
    assert login_from(PASSWORD).status == 200
    assert len(sent) == 2 <= lockout.RESET_TRIES and _lock_items(stack) == {}


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


def test_identifiers_that_name_nobody_lock_too(login_from, monkeypatch, locks_last, hash_checks):
    for n in range(5):
        assert login_from(f"wrong-{n}", username="nobody").json() == INVALID
    assert len(hash_checks) == 5  # the dummy verifications
    assert login_from("again", username="nobody").json() == INVALID
    assert hash_checks[5:] == hash_checks[:1]  # locked, and the same hash work and answer as the others
    configure(monkeypatch, LOCKOUT_VISIBLE="true")  # what the answer would say if told
    assert "too many failed attempts" in login_from("again", username="nobody").json()["error_description"]


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


GATEWAY_PEER = "198.51.100.7"  # the sourceIp of token_event: the proxy nearest API Gateway


@pytest.fixture
def behind_a_proxy(stack, monkeypatch):
    """TrustedProxyHops as the template sets it: the hops and the generated origin secret (returns a function that
    sets them, with the secret's value, as the proxy sends it)."""
    from oidc_core import origin

    def trust(hops: int) -> str:
        configure(monkeypatch, TRUSTED_PROXY_HOPS=hops, ORIGIN_SECRET_ID="OriginSecret")
        origin.clear_cache()
        return boto3.client("secretsmanager").get_secret_value(SecretId="OriginSecret")["SecretString"]

    yield trust
    origin.clear_cache()


def _client_failure(handlers, forwarded_for: str, origin_header: str | None) -> int:
    event = token_event({"grant_type": "password", "client_id": CLIENT_ID, "client_secret": "nope"})
    event["headers"]["x-forwarded-for"] = forwarded_for
    if origin_header is not None:
        event["headers"]["x-origin-verify"] = origin_header
    return Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction"))).status


@pytest.mark.parametrize("appended", ["", f", {GATEWAY_PEER}"], ids=["as-the-proxy-sent-it", "gateway-appended-peer"])
def test_the_address_is_api_gateways_unless_proxies_are_trusted(handlers, monkeypatch, behind_a_proxy, appended):
    configure(monkeypatch, IP_FAILURE_THRESHOLD=2)
    secret = behind_a_proxy(1)

    def from_behind_a_proxy(forwarded_for: str) -> Reply:
        return _client_failure(handlers, forwarded_for + appended, secret)

    # The caller chose the leftmost entries; only the one our proxy appended (rightmost but the gateway's) is believed.
    assert from_behind_a_proxy("1.1.1.1, 192.0.2.10") == 401
    assert from_behind_a_proxy("2.2.2.2, 192.0.2.10") == 401
    assert from_behind_a_proxy("3.3.3.3, 192.0.2.10") == 429
    assert from_behind_a_proxy("3.3.3.3, 192.0.2.11") == 401


@pytest.mark.parametrize("appended", ["", f", {GATEWAY_PEER}"], ids=["as-the-proxy-sent-it", "gateway-appended-peer"])
def test_a_header_too_short_for_the_hops_is_not_believed(handlers, client, monkeypatch, behind_a_proxy, appended):
    """Two proxies of ours each append one entry: a request that came around them (straight to the gateway) carries
    only what its sender wrote, and its address is the gateway's peer, however the sender varies the header."""
    configure(monkeypatch, IP_FAILURE_THRESHOLD=2)
    secret = behind_a_proxy(2)
    assert [_client_failure(handlers, f"203.0.113.{n}" + appended, secret) for n in range(3)] == [401, 401, 429]


# Issue 23 point 1: the custom domain behind the CDN is reachable directly, where anyone writes X-Forwarded-For.

@pytest.mark.parametrize("origin_header", [None, "", "a guess of the secret", "SECRET\n"],
                         ids=["no-header", "empty", "wrong", "secret-with-a-newline"])
def test_a_forged_forwarded_for_without_the_proxys_secret_is_not_believed(handlers, client, monkeypatch,
                                                                         behind_a_proxy, origin_header):
    """Each request names a new address, yet the per-IP limit counts them as the one they came from."""
    configure(monkeypatch, IP_FAILURE_THRESHOLD=2)
    secret = behind_a_proxy(1)
    sent = None if origin_header is None else origin_header.replace("SECRET", secret)
    assert [_client_failure(handlers, f"203.0.113.{n}", sent) for n in range(3)] == [401, 401, 429]


def test_the_proxys_secret_is_compared_in_constant_time(handlers, client, monkeypatch, behind_a_proxy):
    import hmac

    from oidc_core import origin

    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(origin.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b))
    secret = behind_a_proxy(1)
    assert _client_failure(handlers, "203.0.113.1", secret) == 401
    assert compared


def test_after_a_rotation_the_new_secret_and_the_previous_one_are_believed(handlers, client, monkeypatch,
                                                                         behind_a_proxy):
    """docs/security.md: a new value put into the secret; until the proxy sends it, the one it sends still counts."""
    from oidc_core import origin

    configure(monkeypatch, IP_FAILURE_THRESHOLD=2)
    old = behind_a_proxy(1)
    new = "rotated-origin-secret-0123456789abcdef0123456789"
    boto3.client("secretsmanager").put_secret_value(SecretId="OriginSecret", SecretString=new)
    origin.clear_cache()  # as a container would after KeyCacheSeconds
    assert _client_failure(handlers, "203.0.113.1", old) == 401
    assert _client_failure(handlers, "203.0.113.2", new) == 401  # a new forwarded address: a count of its own
    assert _client_failure(handlers, "203.0.113.2", new) == 401
    assert _client_failure(handlers, "203.0.113.2", new) == 429
    boto3.client("secretsmanager").put_secret_value(SecretId="OriginSecret", SecretString=new + "-again")
    origin.clear_cache()  # rotated twice: the first value is no longer believed
    assert [_client_failure(handlers, f"203.0.113.{n}", old) for n in range(10, 13)] == [401, 401, 429]


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
    create_user(stack.target, "account password", username="locked-account")
    for n in range(20):  # from 5 addresses, 4 each: no pair locks, the account does
        login_from(f"wrong-{n}", username="locked-account", ip=f"192.0.2.{n // 4}")

    outcomes = {
        "unknown user": dict(password="whatever", username="nobody-here"),
        "wrong password": dict(password="wrong", username="alice"),
        "blocked user": dict(password="blocked password", username="blocked"),
        "locked user": dict(password="locked password", username="locked-user"),
        "locked account": dict(password="account password", username="locked-account"),
        "undecryptable password": dict(password="not a ciphertext", username="alice", encrypt_type="rsa"),
    }
    seen = {}
    for outcome, attempt in outcomes.items():
        calls = _dynamodb_calls(monkeypatch)
        parallel_stages.clear()
        checks = len(hash_checks)
        reply = login_from(**attempt)
        seen[outcome] = (reply.status, reply.json(), reply.headers, Counter(calls), list(parallel_stages),
                         hash_checks[checks:])
        aws.client("dynamodb").meta.events.unregister("before-call.dynamodb.*")

    answers = {outcome: (status, body, headers) for outcome, (status, body, headers, *_) in seen.items()}
    assert len({repr(answer) for answer in answers.values()}) == 1, answers
    work = {outcome: (calls, stages) for outcome, (_, _, _, calls, stages, _) in seen.items()}
    assert len({repr(each) for each in work.values()}) == 1, work
    # BatchGetItem (client, identifier, IP window); one stage reading the user (one BatchGetItem) and reserving the
    # attempt on its pair and its account; one stage recording the failure (address, pair, account): three round
    # trips whatever went wrong.
    (calls, stages) = work["wrong password"]
    assert calls == Counter({"BatchGetItem": 2, "UpdateItem": 5})
    assert stages == [3, 3]
    # one Argon2id verification each, at the parameters of the stored hashes (a locked attempt's answer must not come
    # sooner: it would tell that the account is locked, and so that two identifiers are one user's)
    hashes = {outcome: checks for outcome, (*_, checks) in seen.items()}
    assert hashes == dict.fromkeys(outcomes, [Argon2Parameters(memory_kib=19456, iterations=2, lanes=1)])


def test_a_locked_attempt_costs_a_verification_at_the_users_own_parameters(stack, login_from, monkeypatch,
                                                                           locks_last, hash_checks):
    """Not at the configured parameters: after they are raised, a stored hash keeps the old ones until its user logs
    in again, and a wrong password costs what that hash costs."""
    monkeypatch.setattr(hashing, "_stored_parameters", {})
    for n in range(5):
        login_from(f"wrong-{n}")
    configure(monkeypatch, ARGON2_MEMORY_KIB=32768)  # a new container, with raised parameters, that never verified
    monkeypatch.setattr(hashing, "_stored_parameters", {})
    checks = len(hash_checks)
    assert login_from(PASSWORD).json() == INVALID
    assert hash_checks[checks:] == [Argon2Parameters(memory_kib=19456, iterations=2, lanes=1)]


def test_the_dummy_hash_costs_what_a_stored_hash_costs(stack, login_from, monkeypatch, hash_checks):
    """After an operator raises the Argon2id parameters, stored hashes keep the old ones until their users log in:
    a missing user must cost what such a stored hash costs, not what the configuration says."""
    monkeypatch.setattr(hashing, "_stored_parameters", {})
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
    # the client's BatchGetItem, then one trip: the user (one BatchGetItem) beside the pair's and the account's
    # reservations
    assert Counter(seen_before_hash) == Counter({"BatchGetItem": 2, "UpdateItem": 2})
    assert parallel_stages[0] == 3


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
    from oidc_tools.stack.operations import migrate_identifiers

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
               if ("verify_stored(" in path.read_text() or "verify_password(" in path.read_text()
                   or "imported.verify(" in path.read_text()
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
