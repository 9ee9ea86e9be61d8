"""`oidc-admin keys rotate` says when the new keys are published and when the new signing key starts signing, in
absolute UTC times that are the ones the service goes by; and it refuses what it cannot rotate safely."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest

from oidc_core import aws
from oidc_core.keys import keyring
from oidc_tools.stack import operations


def unix(utc: str) -> int:
    return int(datetime.strptime(utc, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def signing_document(target) -> dict:
    secret = aws.client("secretsmanager").get_secret_value(SecretId=target.signing_key_secret_id)
    return json.loads(secret["SecretString"])


def test_rotate_says_when_the_new_signing_key_is_published_and_signs(run_admin, stack):
    before = int(time.time())
    code, result, _ = run_admin("keys", "rotate", "--only", "signing")
    after = int(time.time())
    assert code == 0
    shown = result["signing_key"]
    assert shown["published_at"].endswith("Z") and shown["signs_from"].endswith("Z")  # UTC, ISO 8601
    published, signs = unix(shown["published_at"]), unix(shown["signs_from"])
    assert before <= published <= after
    # the time printed is the one at which the service switches to the new key, not a figure of its own
    document, activation = signing_document(stack.target), stack.target.signing_activation_seconds
    assert keyring.signing_entry(document, signs - 1, activation)["kid"] != shown["kid"]
    assert keyring.signing_entry(document, signs, activation)["kid"] == shown["kid"]


def test_rotate_says_when_the_new_password_keys_are_published(run_admin, stack):
    before = int(time.time())
    code, result, _ = run_admin("keys", "rotate", "--only", "password")
    assert code == 0
    published = unix(result["password_keys"]["published_at"])
    assert published >= before + stack.target.signing_activation_seconds  # once every container can decrypt them
    public = json.loads(aws.client("secretsmanager").get_secret_value(
        SecretId=stack.target.public_keys_secret_id)["SecretString"])
    assert public["password_encryption"]["publish_at"] == published


@pytest.mark.parametrize("option", ["--rsa-bits", "--bits"])
def test_rsa_keys_under_2048_bits_are_refused(run_admin, option):
    code, result, stderr = run_admin("keys", "rotate", option, "1024")
    assert code == 2 and result is None
    assert len(stderr.splitlines()) == 1 and "invalid choice: 1024" in stderr


@pytest.mark.parametrize("rotate", [
    lambda target: operations.rotate_signing_key(target, 1024),
    lambda target: operations.replace_password_keys(target, rsa_bits=1024),
], ids=["signing", "password"])
def test_the_operations_refuse_rsa_keys_under_2048_bits_too(stack, rotate):
    with pytest.raises(ValueError, match="under 2048 bits"):
        rotate(stack.target)
