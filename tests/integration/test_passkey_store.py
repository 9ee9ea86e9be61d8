"""Passkeys in the users table (store/passkeys.py, factors/webauthn.py register and authenticate) against moto: a
credential id belongs to one user, a user's passkeys share one user handle, a sign-in moves the counter on exactly
once when assertions race, a passkey is used only by its owner, and removal."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from oidc_core.factors import webauthn
from oidc_core.factors.webauthn import PasskeyRejected, RelyingParty
from oidc_core.store import passkeys as stored
from software_authenticator import SoftwareAuthenticator

RP = RelyingParty(id="localhost", name="Example", origin="http://localhost:3000")
ALICE, BOB = "alice-sub", "bob-sub"


@pytest.fixture
def table(stack):
    return stack.target.users_table


def _register(table, sub, authenticator=None, now=1000) -> tuple[SoftwareAuthenticator, stored.Passkey]:
    authenticator = authenticator or SoftwareAuthenticator(rp_id=RP.id, origin=RP.origin, sign_count=1)
    handle = stored.user_handle_of(table, sub) or webauthn.new_user_handle()
    options, challenge = webauthn.registration_options(RP, user_handle=handle, user_name=sub, display_name=sub,
                                                       existing=stored.list_for(table, sub))
    passkey = webauthn.register(table, RP, authenticator.create(options), challenge=challenge, sub=sub,
                                user_handle=handle, now=now)
    return authenticator, passkey


def _sign_in(table, authenticator, sub=None, **get):
    options, challenge = webauthn.authentication_options(RP, None if sub is None else stored.list_for(table, sub))
    return webauthn.authenticate(table, RP, authenticator.get(options, **get), challenge=challenge, sub=sub)


def _all_at_once(run, count: int = 8) -> None:
    """`count` threads of `run`, each released by its own barrier wait, joined with a deadline."""
    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_a_registered_passkey_is_stored_with_everything_a_sign_in_checks(table):
    authenticator, passkey = _register(table, ALICE)
    found = stored.find(table, passkey.credential_id)
    assert found == passkey
    assert (found.sub, found.sign_count, found.transports) == (ALICE, 1, ("internal", "hybrid"))
    assert stored.list_for(table, ALICE) == [passkey]
    assert stored.user_handle_of(table, ALICE) == passkey.user_handle != ALICE.encode()


def test_a_users_passkeys_share_one_user_handle(table):
    _, first = _register(table, ALICE, now=1000)
    _, second = _register(table, ALICE, now=2000)
    assert first.user_handle == second.user_handle
    assert [passkey.credential_id for passkey in stored.list_for(table, ALICE)] == [first.credential_id,
                                                                                     second.credential_id]
    # a registration made for another handle of the same user is refused
    assert not stored.add(table, replace(second, credential_id="another-id", user_handle=b"x" * 32))


def test_a_credential_id_belongs_to_one_user(table):
    authenticator, passkey = _register(table, ALICE)
    with pytest.raises(PasskeyRejected):
        _register(table, BOB, authenticator=authenticator)
    assert stored.find(table, passkey.credential_id).sub == ALICE
    assert stored.list_for(table, BOB) == []


def test_sign_in_as_second_factor_and_passwordless_moves_the_counter(table):
    authenticator, passkey = _register(table, ALICE)
    assert _sign_in(table, authenticator, ALICE).sign_count == 2
    used = _sign_in(table, authenticator)  # passwordless: the passkey names its owner
    assert (used.sub, used.sign_count) == (ALICE, 3)
    assert stored.find(table, passkey.credential_id).sign_count == 3


def test_a_passkey_is_not_a_factor_of_another_user(table):
    authenticator, _ = _register(table, ALICE)
    _register(table, BOB)
    with pytest.raises(PasskeyRejected):
        _sign_in(table, authenticator, BOB)


def test_a_counter_that_went_back_is_refused_and_not_stored(table):
    authenticator, passkey = _register(table, ALICE)
    _sign_in(table, authenticator, ALICE)
    authenticator.sign_count = 1  # a clone that copied the key when the counter was lower
    with pytest.raises(PasskeyRejected):
        _sign_in(table, authenticator, ALICE)
    assert stored.find(table, passkey.credential_id).sign_count == 2


def test_racing_assertions_with_one_counter_pass_exactly_once(table):
    authenticator, passkey = _register(table, ALICE)
    options, challenge = webauthn.authentication_options(RP, [passkey])
    answer = authenticator.get(options)  # one answer, sent by 8 requests at once (a replay race)
    start, results = threading.Barrier(8), []

    def run():
        start.wait(timeout=60)
        try:
            webauthn.authenticate(table, RP, answer, challenge=challenge, sub=ALICE)
            results.append(True)
        except PasskeyRejected:
            results.append(False)

    _all_at_once(run)
    assert sorted(results) == [False] * 7 + [True]


def test_the_store_moves_a_counter_on_once_under_concurrency(table):
    _, passkey = _register(table, ALICE)
    start, results = threading.Barrier(8), []

    def run():
        start.wait(timeout=60)
        results.append(stored.record_use(table, passkey, passkey.sign_count + 1, False))

    _all_at_once(run)
    assert sorted(results) == [False] * 7 + [True]


def test_a_counter_of_zero_stays_usable(table):
    authenticator = SoftwareAuthenticator(rp_id=RP.id, origin=RP.origin, sign_count=0)
    _register(table, ALICE, authenticator=authenticator)
    assert _sign_in(table, authenticator, ALICE, count_up=False).sign_count == 0
    assert _sign_in(table, authenticator, ALICE, count_up=False).sign_count == 0


def test_backup_state_is_stored(table):
    authenticator = SoftwareAuthenticator(rp_id=RP.id, origin=RP.origin, backup_eligible=True, backed_up=False)
    _, passkey = _register(table, ALICE, authenticator=authenticator)
    authenticator.backed_up = True
    _sign_in(table, authenticator, ALICE)
    found = stored.find(table, passkey.credential_id)
    assert (found.backup_eligible, found.backup_state) == (True, True)


def test_removing_a_passkey_ends_it_and_only_its_owner_can(table):
    authenticator, passkey = _register(table, ALICE)
    assert not stored.remove(table, BOB, passkey.credential_id)
    assert stored.find(table, passkey.credential_id) is not None
    assert stored.remove(table, ALICE, passkey.credential_id)
    assert stored.list_for(table, ALICE) == []
    with pytest.raises(PasskeyRejected):
        _sign_in(table, authenticator)


def test_the_help_desk_reset_removes_every_passkey(table):
    _register(table, ALICE)
    _register(table, ALICE)
    _, bobs = _register(table, BOB)
    assert stored.remove_all(table, ALICE) == 2
    assert stored.list_for(table, ALICE) == [] and stored.user_handle_of(table, ALICE) is None
    assert stored.list_for(table, BOB) == [bobs]

