"""The Auth0 and Keycloak readers of oidc-admin users import (tools/oidc_tools/admin/import_formats.py): the hash
objects those systems export, turned into our stored strings that verify the password they were made from."""

from __future__ import annotations

import base64
import hashlib
import json
from types import SimpleNamespace

import pytest

from oidc_core.config import OWASP_MINIMUM_ARGON2
from oidc_core.passwords import imported
from oidc_tools.admin.import_formats import Refused, auth0_custom_hash, keycloak_password_hash

SETTINGS = SimpleNamespace(argon2=OWASP_MINIMUM_ARGON2)


def _b64(raw: bytes, padded: bool = True) -> str:
    text = base64.b64encode(raw).decode()
    return text if padded else text.rstrip("=")


def test_auth0_pbkdf2_without_a_key_length_takes_the_hashs():
    derived = hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 1000, 32)
    stored = auth0_custom_hash({"algorithm": "pbkdf2", "hash": {
        "value": f"$pbkdf2-sha256$i=1000${_b64(b'salt', False)}${_b64(derived, False)}", "encoding": "utf8"}})
    assert imported.verify_foreign("pw", stored, SETTINGS)


def test_auth0_salted_sha512_with_a_hex_salt_as_suffix():
    salt = bytes.fromhex("deadbeef")
    stored = auth0_custom_hash({"algorithm": "sha512", "hash": {
        "value": _b64(hashlib.sha512(b"pw" + salt).digest()), "encoding": "base64"},
        "salt": {"value": "deadbeef", "encoding": "hex", "position": "suffix"}})
    assert imported.verify_foreign("pw", stored, SETTINGS)
    assert not imported.verify_foreign("pw2", stored, SETTINGS)


@pytest.mark.parametrize("custom, reason", [
    ({"algorithm": "hmac", "hash": {"value": "00" * 32, "encoding": "hex", "digest": "sha256"}}, "hash.key"),
    ({"algorithm": "hmac", "hash": {"value": "00", "encoding": "hex", "digest": "whirlpool", "key": {"value": "k"}}},
     "hash.digest"),
    ({"algorithm": "scrypt", "hash": {"value": "00" * 32, "encoding": "hex"}}, "salt"),
    ({"algorithm": "md5", "hash": {"value": "zz", "encoding": "hex"}}, "not valid hex"),
    ({"algorithm": "md5", "hash": {"value": "00"}, "password": {"encoding": "ebcdic"}}, "password.encoding"),
])
def test_auth0_hash_objects_missing_a_part_are_refused_with_why(custom, reason):
    with pytest.raises(Refused, match=reason):
        auth0_custom_hash(custom)


def test_keycloak_argon2_raw_hash_with_its_parameters_in_the_credential():
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2i

    salt = b"sixteen byte slt"
    raw = Argon2i(salt=salt, length=24, iterations=2, lanes=2, memory_cost=2048).derive(b"kc password")
    stored = keycloak_password_hash({"type": "password",
                                     "secretData": json.dumps({"value": _b64(raw), "salt": _b64(salt)}),
                                     "credentialData": json.dumps({"hashIterations": 2, "algorithm": "argon2",
                                                                   "additionalParameters": {
                                                                       "hashLength": ["24"], "memory": ["2048"],
                                                                       "type": ["i"], "parallelism": ["2"]}})})
    assert stored.startswith("$argon2i$v=19$m=2048,t=2,p=2$")
    assert imported.verify_foreign("kc password", stored, SETTINGS)


@pytest.fixture
def stubbed_dynamodb(monkeypatch):
    """A DynamoDB client answered by botocore's Stubber: moto never throttles nor reports a transaction conflict, so
    the import's retries cannot be driven through it. The waits between retries are skipped (they are no result)."""
    import boto3
    from botocore.stub import Stubber

    from oidc_tools.admin import user_import

    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(user_import.aws, "client", lambda service: client)
    monkeypatch.setattr(user_import.time, "sleep", lambda seconds: None)
    with Stubber(client) as stub:
        yield stub
    stub.assert_no_pending_responses()


WRITES = [{"Put": {"TableName": "t", "Item": {"pk": {"S": "user#1"}}, "ConditionExpression": "attribute_not_exists(pk)"}}]


def test_a_transaction_conflict_or_throttling_is_retried_until_written(stubbed_dynamodb):
    from oidc_tools.admin.user_import import _transact

    stubbed_dynamodb.add_client_error("transact_write_items", "TransactionCanceledException",
                                      modeled_fields={"CancellationReasons": [{"Code": "TransactionConflict"}]})
    stubbed_dynamodb.add_client_error("transact_write_items", "ThrottlingException", http_status_code=400)
    stubbed_dynamodb.add_response("transact_write_items", {})
    assert _transact(WRITES) is None


def test_a_failed_condition_is_an_answer_not_a_retry(stubbed_dynamodb):
    from oidc_tools.admin.user_import import _transact

    stubbed_dynamodb.add_client_error("transact_write_items", "TransactionCanceledException",
                                      modeled_fields={"CancellationReasons": [{"Code": "ConditionalCheckFailed"}]})
    assert _transact(WRITES) == ["ConditionalCheckFailed"]
