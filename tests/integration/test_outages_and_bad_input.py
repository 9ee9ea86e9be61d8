"""What the token endpoint does when AWS fails or the input is hostile: 503 with Retry-After, or a 4xx; never a 500."""

from __future__ import annotations

import base64
import json
import random

import boto3
import pytest

from helpers import token_event
from oidc_core import aws, config
from oidc_core.keys import keyring


def assert_temporarily_unavailable(reply):
    assert reply.status == 503, reply
    assert reply.json()["error"] == "temporarily_unavailable"
    assert int(reply.headers["retry-after"]) > 0
    assert reply.headers["cache-control"] == "no-store"


def test_users_table_outage_is_503(call_token, password_form, stack, client, user):
    boto3.client("dynamodb").delete_table(TableName=stack.target.users_table)
    assert_temporarily_unavailable(call_token(password_form()))


def test_clients_table_outage_is_503(call_token, password_form, stack, client, user):
    boto3.client("dynamodb").delete_table(TableName=stack.target.clients_table)
    assert_temporarily_unavailable(call_token(password_form()))


def test_tokens_table_outage_is_503(call_token, password_form, stack, client, user):
    boto3.client("dynamodb").delete_table(TableName=stack.target.tokens_table)
    assert_temporarily_unavailable(call_token(password_form(scope="openid offline_access")))


def test_secrets_manager_outage_is_503(call_token, password_form, stack, client, user):
    boto3.client("secretsmanager").delete_secret(SecretId=stack.target.signing_key_secret_id,
                                                 ForceDeleteWithoutRecovery=True)
    assert_temporarily_unavailable(call_token(password_form()))


def test_empty_signing_secret_is_503_until_a_key_is_put(call_token, password_form, stack, client, user):
    """A fresh `sam deploy` holds {"keys": []} until the operator runs `oidc-admin keys rotate`."""
    boto3.client("secretsmanager").put_secret_value(SecretId=stack.target.signing_key_secret_id,
                                                    SecretString='{"keys": []}')
    assert_temporarily_unavailable(call_token(password_form()))


def test_unreachable_aws_is_503(call_token, password_form, stack, client, user, monkeypatch):
    """An emulator cannot be 'down', so send DynamoDB calls to a closed port, which is what a network outage is."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    aws.client.cache_clear()  # a new container: its client picks up the endpoint
    assert_temporarily_unavailable(call_token(password_form()))


def test_signing_key_is_fetched_once_per_cache_period(call_token, password_form, client, user):
    fetches = []
    aws.client("secretsmanager").meta.events.register(
        "before-parameter-build.secrets-manager.GetSecretValue", lambda **kwargs: fetches.append(kwargs["params"]["SecretId"])
    )
    signing_secret = config.settings().signing_key_secret_id
    for _ in range(3):
        assert call_token(password_form()).status == 200
    # the signing key's fetches alone: the audit key is fetched once per container too, whichever test came first
    assert fetches.count(signing_secret) == 1
    keyring.clear_cache()
    assert call_token(password_form()).status == 200
    assert fetches.count(signing_secret) == 2


@pytest.mark.parametrize(
    "body, content_type, is_base64",
    [
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded", True),
        (b"grant_type=password&\xe4\xb8\xad=1", "application/x-www-form-urlencoded", True),
        (b"{not json", "application/json", False),
        (b"[1, 2, 3]", "application/json", False),
        (b'{"grant_type": ["password"]}', "application/json", False),
        (b'{"grant_type": "password", "grant_type": "password"}', "application/json", False),
        (b"<xml/>", "application/xml", False),
        (b"grant_type=password&" + b"a" * 70000, "application/x-www-form-urlencoded", True),
        (b"&".join(b"p%d=1" % n for n in range(500)), "application/x-www-form-urlencoded", True),
    ],
)
def test_malformed_bodies_are_invalid_request(handlers, stack, body, content_type, is_base64):
    from helpers import Reply
    from oidc_tools.local.lambda_events import LambdaContext

    event = token_event(body=body, content_type=content_type)
    event["isBase64Encoded"] = is_base64
    event["body"] = base64.b64encode(body).decode() if is_base64 else body.decode("utf-8", "replace")
    reply = Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction")))
    assert reply.status == 400, reply
    assert reply.json()["error"] == "invalid_request"


def test_body_that_claims_base64_but_is_not(handlers, stack):
    from helpers import Reply
    from oidc_tools.local.lambda_events import LambdaContext

    event = token_event({"grant_type": "password"})
    event["body"] = "%%%not base64%%%"
    reply = Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction")))
    assert reply.status == 400 and reply.json()["error"] == "invalid_request"


def test_random_requests_never_get_a_5xx(call_token, password_form, client, user):
    rng = random.Random(20261126)
    names = ["grant_type", "client_id", "client_secret", "username", "email", "phone", "password", "scope",
             "password_encrypt_type", "refresh_token"]
    values = ["", "password", "app", "app-secret-0123456789", "alice", "openid", "none", "rsa", "\x00", "%", "☃",
              "a" * 400, "openid offline_access", " ", "+86", "\ud800"]
    for _ in range(150):
        form = [(rng.choice(names), rng.choice(values)) for _ in range(rng.randint(0, 8))]
        if rng.random() < 0.5:
            form = password_form(**{rng.choice(names): rng.choice(values)})
        content_type = rng.choice(["application/x-www-form-urlencoded", "application/json", "", "text/plain"])
        if content_type == "application/json":
            reply = call_token(body=json.dumps(dict(form)).encode("utf-8", "surrogatepass"), content_type=content_type)
        else:
            from urllib.parse import urlencode

            reply = call_token(body=urlencode(form, errors="surrogatepass").encode(), content_type=content_type)
        assert reply.status < 500, (form, reply)
        assert reply.status == 200 or reply.json()["error"]


@pytest.mark.parametrize("field", ["client_id", "client_secret", "username", "email", "phone", "password", "scope"])
def test_lone_surrogates_in_json_are_a_client_error(call_token, password_form, client, user, field):
    """JSON may escape a lone UTF-16 surrogate (\\ud800) that no UTF-8 encoder accepts, DynamoDB's included."""
    form = password_form(**{field: "\ud800x"})
    if field in ("email", "phone"):
        form.pop("username")
    body = json.dumps(form).encode()
    reply = call_token(body=body, content_type="application/json")
    assert reply.status == 400 and reply.json()["error"] == "invalid_request", reply
