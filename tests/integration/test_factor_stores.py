"""TOTP factors and recovery codes in the users table (store/factors.py, factors/totp.py, factors/recovery_codes.py)
against moto: a secret stored sealed, a time step and a recovery code each accepted once, exactly, also when many
requests race (threads released at one barrier), and a new set of recovery codes ending the old one."""

from __future__ import annotations

import base64
import threading

import pytest

from oidc_core import aws
from oidc_core.errors import DependencyUnavailable
from oidc_core.factors import recovery_codes, totp
from oidc_core.factors.sealed_secrets import KmsSealer, SealedSecretUnusable
from oidc_core.store import factors as stored

SUB = "3f0c2a1e-0000-4000-8000-000000000001"
NOW = 1_700_000_010  # the middle of a step, so now-1 and now+1 are whole steps away


@pytest.fixture
def table(stack):
    return stack.target.users_table


@pytest.fixture
def sealer(stack):
    return KmsSealer(aws.client("kms").create_key(Description="TOTP secrets")["KeyMetadata"]["Arn"])


def _raw(table: str, pk: str) -> dict:
    return aws.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")


def _enrolled(table, sealer, sub=SUB, now=NOW) -> str:
    enrolment = totp.begin_enrolment(table, sealer, sub, issuer="Example", account="alice", qr_title="QR")
    code = totp.code_at_step(enrolment.secret, totp.step_at(now))
    assert totp.confirm_enrolment(table, sealer, sub, code, now)
    return enrolment.secret


def _code(secret: str, now: float, steps: int = 0) -> str:
    return totp.code_at_step(secret, totp.step_at(now) + steps)


def _all_at_once(count: int, call) -> list:
    """`call()` from `count` threads released together; their results."""
    start, results = threading.Barrier(count), []

    def run():
        start.wait(timeout=60)
        results.append(call())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == count
    return results


def test_the_stored_item_holds_no_plaintext_secret(table, sealer):
    enrolment = totp.begin_enrolment(table, sealer, SUB, issuer="Example", account="alice", qr_title="QR")
    confirm = totp.code_at_step(enrolment.secret, totp.step_at(NOW))
    assert totp.confirm_enrolment(table, sealer, SUB, confirm, NOW)
    item = _raw(table, f"totp#{SUB}")
    sealed = item["sealed_secret"]["B"]
    raw_secret = base64.b32decode(enrolment.secret)
    for value in item.values():
        held = next(iter(value.values()))
        held = held if isinstance(held, bytes) else str(held).encode()
        assert enrolment.secret.encode() not in held and raw_secret not in held
        assert enrolment.secret.lower().encode() not in held
    # and it opens only for its own user: the encryption context names the sub
    assert KmsSealer(sealer.key_id).open(SUB, sealed) == enrolment.secret.encode()
    with pytest.raises(SealedSecretUnusable):
        sealer.open("someone-else", sealed)


def test_a_secret_sealed_under_another_key_does_not_open(table, sealer):
    other = KmsSealer(aws.client("kms").create_key()["KeyMetadata"]["Arn"])
    # KMS answers IncorrectKeyException (SealedSecretUnusable); moto 5.2 answers AccessDeniedException, which the
    # sealer takes for what it is in AWS, a policy refusal (a 503). Either way the secret does not open.
    with pytest.raises((SealedSecretUnusable, DependencyUnavailable)):
        sealer.open(SUB, other.seal(SUB, b"JBSWY3DPEHPK3PXP"))


def test_an_enrolment_counts_only_once_a_code_confirms_it(table, sealer):
    enrolment = totp.begin_enrolment(table, sealer, SUB, issuer="Example", account="alice", qr_title="QR")
    assert enrolment.uri.startswith("otpauth://totp/Example:alice?secret=" + enrolment.secret)
    assert "<svg" in enrolment.qr_svg
    code = _code(enrolment.secret, NOW)
    assert not totp.check_code(table, sealer, SUB, code, NOW)  # pending: not a factor yet
    assert not stored.spend_totp_step(table, SUB, totp.step_at(NOW) + 5, NOW)  # nor for the store
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not totp.confirm_enrolment(table, sealer, SUB, wrong, NOW)
    assert totp.confirm_enrolment(table, sealer, SUB, code, NOW)
    factor, _ = stored.read_totp_and_recovery_codes(table, SUB)
    assert factor.active and factor.pending_secret is None and factor.last_step == totp.step_at(NOW)


def test_a_time_step_is_accepted_once(table, sealer):
    secret = _enrolled(table, sealer)
    # the confirming code's step is spent already
    assert not totp.check_code(table, sealer, SUB, _code(secret, NOW), NOW)
    later = NOW + totp.PERIOD
    assert totp.check_code(table, sealer, SUB, _code(secret, later), later)
    assert not totp.check_code(table, sealer, SUB, _code(secret, later), later)  # the same code again
    assert not totp.check_code(table, sealer, SUB, _code(secret, later), later + 1)


def test_an_older_step_is_refused_after_a_newer_one(table, sealer):
    secret = _enrolled(table, sealer)
    later = NOW + 5 * totp.PERIOD
    assert totp.check_code(table, sealer, SUB, _code(secret, later, +1), later)  # the next step, within the window
    # the current and the previous step were never used, but are older than the one taken
    assert not totp.check_code(table, sealer, SUB, _code(secret, later), later)
    assert not totp.check_code(table, sealer, SUB, _code(secret, later, -1), later)


def test_racing_requests_with_one_code_pass_exactly_once(table, sealer):
    secret = _enrolled(table, sealer)
    later = NOW + totp.PERIOD
    code = _code(secret, later)
    results = _all_at_once(8, lambda: totp.check_code(table, sealer, SUB, code, later))
    assert sorted(results) == [False] * 7 + [True]


def test_the_store_spends_a_step_exactly_once_under_concurrency(table, sealer):
    _enrolled(table, sealer)
    step = totp.step_at(NOW) + 1
    results = _all_at_once(8, lambda: stored.spend_totp_step(table, SUB, step, NOW))
    assert sorted(results) == [False] * 7 + [True]


def test_a_new_enrolment_keeps_the_old_secret_until_it_is_confirmed(table, sealer):
    old = _enrolled(table, sealer)
    new = totp.begin_enrolment(table, sealer, SUB, issuer="Example", account="alice", qr_title="QR").secret
    t1 = NOW + totp.PERIOD
    assert totp.check_code(table, sealer, SUB, _code(old, t1), t1)
    t2 = NOW + 2 * totp.PERIOD
    assert totp.confirm_enrolment(table, sealer, SUB, _code(new, t2), t2)
    t3 = NOW + 3 * totp.PERIOD
    assert not totp.check_code(table, sealer, SUB, _code(old, t3), t3)
    assert totp.check_code(table, sealer, SUB, _code(new, t3), t3)


def test_a_user_without_totp_is_refused(table, sealer):
    assert not totp.check_code(table, sealer, "nobody", "123456", NOW)
    assert not totp.confirm_enrolment(table, sealer, "nobody", "123456", NOW)
    assert not stored.spend_totp_step(table, "nobody", 5, NOW)
    assert _raw(table, "totp#nobody") is None  # a refused spend creates no item


def test_removing_totp_ends_it(table, sealer):
    secret = _enrolled(table, sealer)
    stored.remove_totp(table, SUB)
    later = NOW + totp.PERIOD
    assert not totp.check_code(table, sealer, SUB, _code(secret, later), later)


def test_ten_recovery_codes_each_usable_once(table):
    codes = recovery_codes.new_set(table, SUB)
    assert len(codes) == len(set(codes)) == 10
    assert recovery_codes.left(table, SUB) == 10
    assert recovery_codes.use(table, SUB, codes[3])
    assert not recovery_codes.use(table, SUB, codes[3])
    assert not recovery_codes.use(table, SUB, codes[3].upper().replace("-", " "))
    assert recovery_codes.left(table, SUB) == 9
    assert not recovery_codes.use(table, "someone-else", codes[4])
    assert not recovery_codes.use(table, SUB, "0000-0000-0000")
    for code in codes[:3] + codes[4:]:
        assert recovery_codes.use(table, SUB, code)
    assert recovery_codes.left(table, SUB) == 0
    assert not recovery_codes.use(table, SUB, codes[0])


def test_recovery_codes_are_stored_only_as_digests(table):
    codes = recovery_codes.new_set(table, SUB)
    item = _raw(table, f"recovery#{SUB}")
    text = repr(item)
    for code in codes:
        assert code not in text and code.replace("-", "") not in text
    assert set(item["codes"]["SS"]) == {recovery_codes.digest(SUB, recovery_codes.normalized(code)) for code in codes}


def test_a_new_set_ends_the_old_one(table):
    old = recovery_codes.new_set(table, SUB)
    new = recovery_codes.new_set(table, SUB)
    assert recovery_codes.left(table, SUB) == 10
    assert not any(recovery_codes.use(table, SUB, code) for code in old)
    assert recovery_codes.use(table, SUB, new[0])


def test_racing_requests_with_one_recovery_code_pass_exactly_once(table):
    code = recovery_codes.new_set(table, SUB)[0]
    results = _all_at_once(8, lambda: recovery_codes.use(table, SUB, code))
    assert sorted(results) == [False] * 7 + [True]
    assert recovery_codes.left(table, SUB) == 9


def test_a_user_without_recovery_codes_has_none_left(table):
    assert recovery_codes.left(table, SUB) == 0
    assert not recovery_codes.use(table, SUB, "abcd-efgh-jkmn")
    assert _raw(table, f"recovery#{SUB}") is None


def test_kms_out_of_reach_is_a_dependency_outage_not_a_wrong_code(table, sealer, monkeypatch):
    """A closed port is what a network outage is: the challenge must become a 503 to retry, never a failed factor
    (which would count toward the lockout) or a 500."""
    secret = _enrolled(table, sealer)
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:9")
    aws.client.cache_clear()  # a new container: its client picks up the endpoint
    later = NOW + totp.PERIOD
    with pytest.raises(DependencyUnavailable):
        totp.check_code(table, sealer, SUB, _code(secret, later), later)


def test_a_users_table_outage_is_a_dependency_outage(table, sealer):
    aws.client("dynamodb").delete_table(TableName=table)
    with pytest.raises(DependencyUnavailable):
        totp.check_code(table, sealer, SUB, "123456", NOW)
    with pytest.raises(DependencyUnavailable):
        recovery_codes.use(table, SUB, "abcd-efgh-jkmn")


def test_a_factor_read_before_another_request_spent_the_step_does_not_spend_it_again(table, sealer):
    """The login path may read the item in its own batch and pass it in: the conditional write, not that stale copy,
    decides."""
    secret = _enrolled(table, sealer)
    stale, _ = stored.read_totp_and_recovery_codes(table, SUB)
    later = NOW + totp.PERIOD
    assert totp.check_code(table, sealer, SUB, _code(secret, later), later, factor=stale)
    assert not totp.check_code(table, sealer, SUB, _code(secret, later), later, factor=stale)
