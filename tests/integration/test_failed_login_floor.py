"""Failed logins do not tell kinds of account apart by their time (issue 23 points 2 and 3): every failed password
check, whatever the account (none, native, imported by any scheme within the work ceiling, waiting for the upstream,
locked), answers no sooner than one floor, which is above the most any of them may cost. Each test here asserts the
lower bound only, which no machine's speed can make pass or fail; that the medians then agree is the bench's
failed-login table (`make bench`, docs/security.md), a figure and not a test of time."""

from __future__ import annotations

import hashlib
import time

import bcrypt
import pytest

from helpers import PASSWORD, configure
from oidc_core import config
from oidc_core.config import WORK_CEILING_MS
from oidc_core.keys import keyring
from oidc_core.login import attempt_guard, upstream
from oidc_core.passwords import imported
from oidc_core.store import users
from oidc_tools.stack import operations
from fake_upstream import FakeUpstream

INVALID_GRANT = {"error": "invalid_grant", "error_description": "invalid credentials provided"}
SALT = b"floor-test-salt!"


def _accounts(stack) -> dict[str, dict]:
    """One account of each kind, by the identifier a failed login names it with."""
    table = stack.target.users_table
    foreign = {
        "bcrypt": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode(),
        "pbkdf2": imported.pbkdf2("sha512", 210_000, SALT, hashlib.pbkdf2_hmac("sha512", PASSWORD.encode(), SALT,
                                                                                210_000, 64)),
        "md5": imported.salted_digest("md5", hashlib.md5(SALT + PASSWORD.encode()).digest(), SALT),
        "waiting": "",  # imported without a password: the upstream's to check
    }
    for name, stored in foreign.items():
        users.create(table, password_hash=stored, default_country_code="+86", username=f"imported-{name}",
                     sub=f"imported|{name}", origin={"imported_from": "test"})
    return {"unknown": {"username": "nobody-here"}, "native": {"username": "alice"},
            **{f"imported {name}": {"username": f"imported-{name}"} for name in foreign}}


def _failure_seconds(call_token, password_form, fields: dict) -> float:
    started = time.monotonic()
    reply = call_token(password_form(password="not the password", **fields))
    elapsed = time.monotonic() - started
    assert (reply.status, reply.json()) == (400, INVALID_GRANT), reply
    return elapsed


def test_the_floor_is_above_the_ceiling_or_the_upstreams_deadline():
    issuer = {"ISSUER": "https://auth.example.test/oidc"}
    settings = config.load_settings(issuer)
    assert attempt_guard.failure_floor_seconds(settings) >= WORK_CEILING_MS / 1000
    migrating = config.load_settings({**issuer, "UPSTREAM_SECRET_ID": "upstream"})
    assert attempt_guard.failure_floor_seconds(migrating) >= upstream.UPSTREAM_TIMEOUT_SECONDS == 2.0
    with pytest.raises(config.ConfigurationError):  # a floor under the ceiling would let imported hashes show
        config.load_settings({**issuer, "FAILED_LOGIN_FLOOR_MS": str(WORK_CEILING_MS - 1)})


def test_every_kind_of_failed_login_waits_for_the_floor(stack, client, user, call_token, password_form,
                                                        monkeypatch):
    accounts = _accounts(stack)
    floor = attempt_guard.failure_floor_seconds(config.settings())
    assert floor >= WORK_CEILING_MS / 1000
    seconds = {kind: _failure_seconds(call_token, password_form, fields) for kind, fields in accounts.items()}
    assert all(elapsed >= floor for elapsed in seconds.values()), seconds
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD=1, LOCKOUT_BASE_SECONDS=3600, LOCKOUT_MAX_SECONDS=7200)
    assert _failure_seconds(call_token, password_form, accounts["native"]) >= floor  # the failure that locks
    assert _failure_seconds(call_token, password_form, accounts["native"]) >= floor  # locked: never checked


@pytest.fixture
def migrating(stack, monkeypatch):
    """LazyMigration on (as the template sets it) with an upstream that refuses every password but frank's."""
    configure(monkeypatch, UPSTREAM_SECRET_ID=stack.target.upstream_secret_id)
    fake = FakeUpstream()
    operations.set_upstream(stack.target, fake.issuer, "us", "our-secret")
    keyring.clear_cache()
    upstream.clear_cache()
    yield fake
    fake.close()
    upstream.clear_cache()


def test_with_an_upstream_every_failed_login_waits_for_its_deadline(stack, client, user, call_token, password_form,
                                                                    migrating):
    accounts = _accounts(stack)
    floor = attempt_guard.failure_floor_seconds(config.settings())
    assert floor == upstream.UPSTREAM_TIMEOUT_SECONDS
    kinds = ("unknown", "native", "imported bcrypt", "imported waiting")  # upstream, local, local, upstream
    seconds = {kind: _failure_seconds(call_token, password_form, accounts[kind]) for kind in kinds}
    assert all(elapsed >= floor for elapsed in seconds.values()), seconds
    assert ("POST", "/oidc/token") in migrating.received  # the unknown and the waiting ones went upstream
