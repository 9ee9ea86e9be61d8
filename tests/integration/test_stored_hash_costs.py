"""What a stored hash may cost, through the real handlers against emulated DynamoDB: a hash above the cost ceiling
(StoredHashCostFactor × the configured Argon2id parameters) never matches and is never computed, and its parameters
never reach the dummy verifications; the dummy verification of an unknown client costs what stored client secrets
cost, in SessionFunction as in TokenFunction."""

from __future__ import annotations

import base64
import dataclasses

import boto3
import pytest
from cryptography.exceptions import InvalidKey

from helpers import CLIENT_ID, CLIENT_SECRET, PASSWORD, basic_auth
from oidc_core import config
from oidc_core.config import OWASP_MINIMUM_ARGON2, Argon2Parameters
from oidc_core.passwords import hashing
from oidc_core.store.clients import client_key
from oidc_core.store.users import user_key
from oidc_tools.stack.operations import create_client, create_user

INVALID_GRANT = {"error": "invalid_grant", "error_description": "invalid credentials provided"}
TWO_GIB = 2 * 1024 * 1024  # KiB
# What no test may compute: far above any ceiling here, far below what would exhaust the machine.
NEVER_COMPUTED_KIB = 512 * 1024


def _phc(memory_kib: int, iterations: int = 2, lanes: int = 1) -> str:
    """An Argon2id PHC string with these parameters, written by hand: computing one at 2 GiB is what must not happen."""
    salt = base64.b64encode(b"s" * 16).decode().rstrip("=")
    digest = base64.b64encode(b"h" * 32).decode().rstrip("=")
    return f"$argon2id$v=19$m={memory_kib},t={iterations},p={lanes}${salt}${digest}"


@pytest.fixture
def argon2_computed(monkeypatch):
    """The parameters of every Argon2id verification, by a stand-in for the library's class in the hashing module.
    One above NEVER_COMPUTED_KIB is recorded and refused (as a mismatch; a new hash that costly, as an error), so that
    code which would compute it fails this test instead of exhausting the machine."""
    real = hashing.Argon2id
    computed = []

    class Argon2idSpy:
        def __new__(cls, *, salt, length, iterations, lanes, memory_cost, **options):
            if memory_cost > NEVER_COMPUTED_KIB:
                raise MemoryError("a hash this costly must never be computed")
            return real(salt=salt, length=length, iterations=iterations, lanes=lanes, memory_cost=memory_cost,
                        **options)

        @staticmethod
        def verify_phc_encoded(key_material, phc_encoded, **options):
            parameters = hashing.parameters_of(phc_encoded)
            computed.append(parameters)
            if parameters and parameters.memory_kib > NEVER_COMPUTED_KIB:
                raise InvalidKey
            return real.verify_phc_encoded(key_material, phc_encoded, **options)

    monkeypatch.setattr(hashing, "Argon2id", Argon2idSpy)
    return computed


@pytest.fixture
def fresh_container(monkeypatch):
    """A container that has verified no stored hash yet."""
    monkeypatch.setattr(hashing, "_stored_parameters", type(hashing._stored_parameters)())


def _set_user_hash(stack, sub: str, phc_hash: str) -> None:
    boto3.client("dynamodb").update_item(
        TableName=stack.target.users_table, Key=user_key(sub), UpdateExpression="SET password_hash = :hash",
        ExpressionAttributeValues={":hash": {"S": phc_hash}})


def _set_client_hash(stack, client_id: str, phc_hash: str) -> None:
    boto3.client("dynamodb").update_item(
        TableName=stack.target.clients_table, Key=client_key(client_id), UpdateExpression="SET secret_hash = :hash",
        ExpressionAttributeValues={":hash": {"S": phc_hash}})


def _configured() -> Argon2Parameters:
    return config.settings().argon2


def test_the_ceiling_is_the_configured_cost_times_the_template_factor(monkeypatch):
    env = {"ISSUER": "https://auth.example.test/oidc", "ARGON2_MEMORY_KIB": "32768", "ARGON2_ITERATIONS": "3",
           "STORED_HASH_COST_FACTOR": "2"}
    assert config.load_settings(env).argon2_ceiling == Argon2Parameters(memory_kib=65536, iterations=6, lanes=2)
    assert config.load_settings({"ISSUER": env["ISSUER"]}).argon2_ceiling == Argon2Parameters(
        memory_kib=4 * 19456, iterations=8, lanes=4)  # the template's default factor, 4
    with pytest.raises(config.ConfigurationError):
        config.load_settings({**env, "STORED_HASH_COST_FACTOR": "0"})


def test_a_user_hash_above_the_ceiling_is_refused_without_computing_it(stack, client, user, call_token,
                                                                      password_form, fresh_container,
                                                                      argon2_computed, caplog):
    create_user(stack.target, "bob's password", username="bob")
    wrong = call_token(password_form(username="bob", password="not bob's password"))
    _set_user_hash(stack, user.sub, _phc(TWO_GIB))
    argon2_computed.clear()
    reply = call_token(password_form(password=PASSWORD))  # the right password, were the hash ever computed
    assert (reply.status, reply.json(), reply.headers) == (wrong.status, wrong.json(), wrong.headers)
    assert reply.json() == INVALID_GRANT
    # in the hash's place, a dummy verification at the configured cost (the client's secret is cached by now)
    assert argon2_computed == [_configured()]
    # the operator's log says why
    events = [record.__dict__ for record in caplog.records if record.getMessage() == "login attempt"]
    assert (events[-1]["outcome"], events[-1]["reason"]) == ("failed", "unusable_password_hash")


@pytest.mark.parametrize("cost", [dict(memory_kib=TWO_GIB), dict(memory_kib=19456, iterations=9),
                                  dict(memory_kib=19456, lanes=5)], ids=["memory", "iterations", "lanes"])
def test_each_parameter_has_its_ceiling(stack, client, user, call_token, password_form, argon2_computed, cost):
    _set_user_hash(stack, user.sub, _phc(**cost))
    argon2_computed.clear()
    assert call_token(password_form(password=PASSWORD)).json() == INVALID_GRANT
    assert hashing.parameters_of(_phc(**cost)) not in argon2_computed


def test_a_hash_above_the_ceiling_never_becomes_the_dummys_cost(stack, client, user, call_token, password_form,
                                                                fresh_container, argon2_computed):
    _set_user_hash(stack, user.sub, _phc(TWO_GIB))
    assert call_token(password_form(password=PASSWORD)).json() == INVALID_GRANT
    argon2_computed.clear()
    reply = call_token(password_form(username="nobody", password="whatever"))
    assert (reply.status, reply.json()) == (400, INVALID_GRANT)
    assert argon2_computed == [_configured()]  # the unknown user's dummy verification (the client's secret is cached)


def test_a_client_secret_hash_above_the_ceiling_is_refused_without_computing_it(stack, client, call_token,
                                                                               fresh_container, argon2_computed):
    create_client(stack.target, "costly", "costly-secret-0123456789")
    wrong = call_token({"grant_type": "client_credentials"}, authorization=basic_auth("costly", "a wrong secret"))
    _set_client_hash(stack, "costly", _phc(TWO_GIB))
    argon2_computed.clear()
    reply = call_token({"grant_type": "client_credentials"},
                       authorization=basic_auth("costly", "costly-secret-0123456789"))
    assert (reply.status, reply.json(), reply.headers) == (wrong.status, wrong.json(), wrong.headers)
    assert reply.status == 401 and reply.json()["error"] == "invalid_client"
    assert argon2_computed == [_configured()]  # a dummy verification in the hash's place

    argon2_computed.clear()  # and an unknown client's dummy keeps the cost of stored secrets
    assert call_token({"grant_type": "client_credentials"},
                      authorization=basic_auth("nobody", "some secret")).status == 401
    assert argon2_computed == [_configured()]


def _as_session_function(monkeypatch, stack) -> None:
    """The process environment SessionFunction has, and no other function's variables (the stack fixture sets every
    function's, as one process runs them all here)."""
    own = stack.environments["SessionFunction"]
    for name in {name for environment in stack.environments.values() for name in environment} - set(own):
        monkeypatch.delenv(name, raising=False)
    for name, value in own.items():
        monkeypatch.setenv(name, value)
    config.settings.cache_clear()


def _introspect_as(call_session, client_id: str, secret: str):
    return call_session("POST", "/oidc/token/introspection", {"token": "anything"},
                        headers={"authorization": basic_auth(client_id, secret)})


@pytest.mark.parametrize("stack_parameters", [{"Argon2MemoryKib": "32768"}])
def test_session_functions_dummy_client_secret_costs_what_stored_secrets_cost(stack, call_session, monkeypatch,
                                                                             fresh_container, argon2_computed):
    """Client secrets are hashed at the stack's Argon2id parameters (oidc-admin reads them from the stack): an unknown
    client's dummy verification at introspection or revocation must cost as much, or its faster answer says that the
    client does not exist."""
    _as_session_function(monkeypatch, stack)
    # as oidc-admin makes it for this stack (the emulated stack's target keeps the OWASP minimum)
    client, _ = create_client(dataclasses.replace(stack.target, argon2=Argon2Parameters(32768, 2, 1)), CLIENT_ID,
                              CLIENT_SECRET)
    assert hashing.parameters_of(client.secret_hash) == Argon2Parameters(32768, 2, 1)
    # the container's first request: it has verified no stored secret to learn their cost from
    assert _introspect_as(call_session, "nobody", "some secret").status == 401
    assert argon2_computed == [Argon2Parameters(32768, 2, 1)]


@pytest.mark.parametrize("stack_parameters", [{"Argon2MemoryKib": "32768"}])
def test_the_dummy_client_secret_follows_the_stored_secrets_after_the_cost_is_raised(stack, user, call_token,
                                                                                    password_form, fresh_container,
                                                                                    argon2_computed):
    """A client made before the parameters were raised keeps its hash's cost until its secret is set again: an
    unknown client's dummy costs what that stored secret costs, not the configured parameters."""
    create_client(stack.target, CLIENT_ID, CLIENT_SECRET)
    _set_client_hash(stack, CLIENT_ID, hashing.hash_password(CLIENT_SECRET, OWASP_MINIMUM_ARGON2))
    assert config.settings().argon2 == Argon2Parameters(32768, 2, 1)  # configured higher
    assert call_token(password_form()).status == 200
    argon2_computed.clear()
    assert call_token({"grant_type": "client_credentials"},
                      authorization=basic_auth("nobody", "some secret")).status == 401
    assert argon2_computed == [OWASP_MINIMUM_ARGON2]


# Issue 23 point 13: an imported hash above the work ceiling is never computed at login either (the import refuses
# it; these are written into the table as a compromised or careless writer could). The hashes are real ones of the
# right password, so that computing one would log the user in.

@pytest.fixture
def foreign_computed(monkeypatch):
    """Every bcrypt and PBKDF2 computation, by a watch on the functions imported.py calls (they still run)."""
    import hashlib

    import bcrypt

    computed = []
    real_checkpw, real_pbkdf2 = bcrypt.checkpw, hashlib.pbkdf2_hmac
    monkeypatch.setattr(bcrypt, "checkpw", lambda *args: computed.append("bcrypt") or real_checkpw(*args))
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *args: computed.append("pbkdf2") or real_pbkdf2(*args))
    return computed


def _above_the_ceiling(scheme: str) -> str:
    import hashlib

    import bcrypt

    from oidc_core.passwords import imported

    if scheme == "bcrypt":  # cost 13: twice bcrypt 12's work, above the 400 ms ceiling
        return bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=13)).decode()
    salt, iterations = b"s" * 16, 200_000  # a 256-byte SHA-1 key: 13 blocks of 200,000 iterations each
    return imported.pbkdf2("sha1", iterations, salt, hashlib.pbkdf2_hmac("sha1", PASSWORD.encode(), salt, iterations,
                                                                           256))


@pytest.mark.parametrize("scheme", ["bcrypt", "pbkdf2"])
def test_an_imported_hash_above_the_work_ceiling_is_never_computed_at_login(stack, client, user, call_token,
                                                                            password_form, foreign_computed, scheme,
                                                                            caplog):
    stored = _above_the_ceiling(scheme)
    _set_user_hash(stack, user.sub, stored)
    foreign_computed.clear()
    reply = call_token(password_form(password=PASSWORD))  # the right password, were the hash ever computed
    assert (reply.status, reply.json()) == (400, INVALID_GRANT)
    assert foreign_computed == []
    events = [record.__dict__ for record in caplog.records if record.getMessage() == "login attempt"]
    assert (events[-1]["outcome"], events[-1]["reason"]) == ("failed", "unusable_password_hash")
