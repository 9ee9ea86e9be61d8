"""POST /oidc/token with grant_type=password, through the real TokenFunction handler against emulated AWS."""

from __future__ import annotations

import hashlib
import json

import boto3
import jwt
import pytest

from helpers import basic_auth
from helpers import CLIENT_ID, CLIENT_SECRET, ISSUER, PASSWORD
from oidc_core.passwords import hashing
from oidc_core.store import users
from oidc_core.config import Argon2Parameters
from oidc_tools.stack.operations import create_client, create_user


def verified_claims(call_discovery, token: str, audience: str = CLIENT_ID) -> dict:
    """Verify a token the way a relying party does: key from the published JWKS by kid, RS256, iss and aud."""
    jwks = call_discovery("/oidc/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == kid]
    public_key = jwt.PyJWK(jwk).key
    return jwt.decode(token, public_key, algorithms=["RS256"], audience=audience, issuer=ISSUER)


@pytest.mark.parametrize(
    "identifier",
    [{"username": "alice"}, {"username": "ALICE"}, {"email": "alice@example.com"}, {"email": " ALICE@EXAMPLE.COM"},
     {"phone": "13800138000"}, {"phone": "+86 138-0013-8000"}, {"phone": "008613800138000"}],
)
def test_each_login_identifier_finds_the_user(call_token, password_form, client, user, identifier):
    form = password_form(**{"username": None, **identifier})
    reply = call_token(form)
    assert reply.status == 200, reply
    assert set(reply.json()) == {"access_token", "id_token", "token_type", "expires_in", "scope"}


def test_success_response_follows_rfc6749_and_authing(call_token, call_discovery, password_form, client, user):
    reply = call_token(password_form(scope="openid profile email phone address offline_access"))
    assert reply.status == 200, reply
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["pragma"] == "no-cache"
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "openid profile email phone address offline_access"

    access = verified_claims(call_discovery, body["access_token"])
    assert {"jti", "sub", "iss", "aud", "iat", "exp", "scope", "client_id"} <= set(access)
    assert access["sub"] == user.sub
    assert access["aud"] == CLIENT_ID and access["client_id"] == CLIENT_ID
    assert access["exp"] - access["iat"] == body["expires_in"]
    assert jwt.get_unverified_header(body["access_token"])["kid"]

    id_token = verified_claims(call_discovery, body["id_token"])
    assert id_token["sub"] == user.sub and id_token["iss"] == ISSUER and id_token["aud"] == CLIENT_ID
    assert id_token["auth_time"] <= id_token["iat"] + 1
    assert id_token["name"] == "Alice Liddell"
    assert id_token["given_name"] == "Alice" and id_token["family_name"] == "Liddell"
    assert id_token["nickname"] == "al" and id_token["preferred_username"] == "Alice"
    assert id_token["email"] == "Alice@Example.com" and id_token["email_verified"] is True
    assert id_token["phone_number"] == "+8613800138000" and id_token["phone_number_verified"] is False
    assert id_token["address"] == {"country": "CN", "locality": "Shanghai"}
    assert isinstance(id_token["updated_at"], int)


def test_default_scope_is_openid_profile(call_token, call_discovery, password_form, client, user):
    body = call_token(password_form()).json()
    assert body["scope"] == "openid profile"
    id_token = verified_claims(call_discovery, body["id_token"])
    assert id_token["name"] == "Alice Liddell"
    assert "email" not in id_token and "phone_number" not in id_token and "address" not in id_token
    assert "refresh_token" not in body


def test_no_id_token_without_openid(call_token, password_form, client, user):
    body = call_token(password_form(scope="profile email")).json()
    assert "id_token" not in body and body["access_token"]


def test_refresh_token_only_with_offline_access_and_stored_hashed(call_token, password_form, stack, client, user):
    body = call_token(password_form(scope="openid offline_access")).json()
    refresh_token = body["refresh_token"]
    items = boto3.client("dynamodb").scan(TableName=stack.target.tokens_table)["Items"]
    assert len(items) == 1
    item = items[0]
    assert item["pk"]["S"].startswith("family#")
    assert item["live_digest"]["S"] == hashlib.sha256(refresh_token.encode()).hexdigest()
    assert refresh_token not in json.dumps(items)
    assert int(item["absolute_expires_at"]["N"]) - int(item["created_at"]["N"]) == 30 * 24 * 3600
    assert int(item["expires_at"]["N"]) - int(item["created_at"]["N"]) == 14 * 24 * 3600  # the idle limit comes first
    assert item["sub"]["S"] == user.sub and item["client_id"]["S"] == CLIENT_ID
    assert "refresh_token" not in call_token(password_form(scope="openid")).json()


def test_client_secret_basic(call_token, password_form, client, user):
    form = password_form(client_id=None, client_secret=None)
    assert call_token(form, authorization=basic_auth(CLIENT_ID, CLIENT_SECRET)).status == 200


def test_client_secret_basic_is_form_url_decoded(call_token, password_form, stack, user):
    create_client(stack.target, "app:1", "s3cret/+=%", scopes=["openid", "profile"])
    form = password_form(client_id=None, client_secret=None)
    assert call_token(form, authorization=basic_auth("app%3A1", "s3cret%2F%2B%3D%25")).status == 200


def test_json_body_is_accepted(call_token, password_form, client, user):
    assert call_token(password_form(), content_type="application/json").status == 200


def test_plain_form_body_is_accepted_too(handlers, password_form, client, user):
    from helpers import Reply, token_event
    from oidc_tools.local.lambda_events import LambdaContext

    event = token_event(password_form())
    event["body"], event["isBase64Encoded"] = __import__("base64").b64decode(event["body"]).decode(), False
    assert Reply(handlers["TokenFunction"](event, LambdaContext("TokenFunction"))).status == 200


@pytest.mark.parametrize(
    "authorization, form_overrides, with_challenge",
    [
        (basic_auth(CLIENT_ID, "wrong"), {"client_id": None, "client_secret": None}, True),
        (basic_auth("nobody", CLIENT_SECRET), {"client_id": None, "client_secret": None}, True),
        ("Basic !!!not-base64", {"client_id": None, "client_secret": None}, True),
        (None, {"client_secret": "wrong"}, False),
        (None, {"client_id": "nobody"}, False),
        (None, {"client_secret": None}, False),
        (None, {"client_id": "x" * 5000}, False),
    ],
)
def test_client_authentication_failures_are_401_invalid_client(
    call_token, password_form, client, user, authorization, form_overrides, with_challenge
):
    reply = call_token(password_form(**form_overrides), authorization=authorization)
    assert reply.status == 401, reply
    assert reply.json()["error"] == "invalid_client"
    assert ("www-authenticate" in reply.headers) is with_challenge
    if with_challenge:
        assert reply.headers["www-authenticate"].startswith("Basic")


def test_basic_and_body_credentials_together_must_name_the_same_client_and_secret(call_token, password_form, stack,
                                                                                   client, user):
    """Authing's Node SDK sends both in basic mode: the same client and secret is accepted, anything else refused."""
    assert call_token(password_form(), authorization=basic_auth(CLIENT_ID, CLIENT_SECRET)).status == 200
    reply = call_token(password_form(client_secret="another-secret"), authorization=basic_auth(CLIENT_ID, CLIENT_SECRET))
    assert reply.status == 400 and reply.json()["error"] == "invalid_request"
    create_client(stack.target, "second", "second-secret-0123")
    reply = call_token(password_form(client_id="second"), authorization=basic_auth(CLIENT_ID, CLIENT_SECRET))
    assert reply.status == 400 and reply.json()["error"] == "invalid_request"


def test_an_authorization_value_without_a_scheme_is_ignored_when_the_body_authenticates(call_token, password_form,
                                                                                         client, user):
    """Authing's Node SDK adds a user's raw access token as Authorization next to the body's credentials."""
    token = call_token(password_form()).json()["access_token"]
    assert call_token(password_form(), authorization=token).status == 200


def test_client_without_the_password_grant_is_unauthorized(call_token, password_form, stack, user):
    create_client(stack.target, "machine", "machine-secret", grant_types=["client_credentials"])
    reply = call_token(password_form(client_id="machine", client_secret="machine-secret"))
    assert reply.status == 400 and reply.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"grant_type": None}, "invalid_request"),
        ({"grant_type": ""}, "invalid_request"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, "unsupported_grant_type"),
        ({"password": None}, "invalid_request"),
        ({"password": ""}, "invalid_request"),
        ({"username": None}, "invalid_request"),
        ({"username": ""}, "invalid_request"),
        ({"email": "alice@example.com"}, "invalid_request"),
        ({"username": None, "email": "alice@example.com", "phone": "13800138000"}, "invalid_request"),
        ({"password_encrypt_type": "rot13"}, "invalid_request"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"scope": "openid\x7fprofile"}, "invalid_scope"),
    ],
)
def test_bad_requests_get_the_oauth_error(call_token, password_form, client, user, overrides, error):
    reply = call_token(password_form(**overrides))
    assert reply.status == 400, reply
    assert reply.json()["error"] == error
    assert reply.json()["error_description"]
    assert reply.headers["cache-control"] == "no-store"


def test_password_encrypt_type_none_is_the_default_spelled_out(call_token, password_form, client, user):
    assert call_token(password_form(password_encrypt_type="none")).status == 200


def test_a_scope_the_client_may_not_use_is_invalid_scope(call_token, password_form, stack, user):
    create_client(stack.target, "narrow", "narrow-secret", scopes=["openid", "profile"])
    reply = call_token(password_form(client_id="narrow", client_secret="narrow-secret", scope="openid email"))
    assert reply.status == 400 and reply.json()["error"] == "invalid_scope"


def test_repeated_parameter_is_invalid_request(call_token, password_form, client, user):
    form = list(password_form().items()) + [("scope", "openid"), ("scope", "email")]
    reply = call_token(form)
    assert reply.status == 400 and reply.json()["error"] == "invalid_request"
    assert "scope" in reply.json()["error_description"]


def _credential_failures(call_token, password_form, stack):
    create_user(stack.target, PASSWORD, username="blocked-bob", blocked=True)
    return {
        "wrong password": call_token(password_form(password="wrong")),
        "unknown user": call_token(password_form(username="nobody")),
        "blocked user": call_token(password_form(username="blocked-bob")),
        "not a phone number": call_token(password_form(username=None, phone="not-a-number")),
        "over-long identifier": call_token(password_form(username="a" * 5000)),
    }


def test_every_credential_failure_gets_the_same_answer(call_token, password_form, stack, client, user):
    replies = _credential_failures(call_token, password_form, stack)
    for reason, reply in replies.items():
        assert reply.status == 400, reason
        assert reply.json() == {"error": "invalid_grant", "error_description": "invalid credentials provided"}, reason
    assert len({json.dumps(reply.headers, sort_keys=True) for reply in replies.values()}) == 1


def test_a_missing_user_still_costs_a_hash_verification(call_token, password_form, client, user, monkeypatch):
    """The timing defence: no user means a dummy Argon2id verification, so the answer takes as long."""
    verified = []
    real_verify = hashing.verify_password
    monkeypatch.setattr(hashing, "verify_password", lambda *a: verified.append(a[1]) or real_verify(*a))
    call_token(password_form(username="nobody"))
    # one for the client secret, one for the (dummy) user hash
    assert len(verified) == 2
    assert hashing.parameters_of(verified[1]) == hashing.parameters_of(user.password_hash)


def test_blocking_takes_effect_on_the_next_request(call_token, password_form, stack, client, user):
    assert call_token(password_form()).status == 200
    users.set_blocked(stack.target.users_table, user.sub, True)
    assert call_token(password_form()).json()["error"] == "invalid_grant"
    users.set_blocked(stack.target.users_table, user.sub, False)
    assert call_token(password_form()).status == 200


def test_weaker_hash_is_upgraded_at_login(call_token, password_form, stack, client):
    weak = Argon2Parameters(memory_kib=4096, iterations=1, lanes=1)
    weak_user = users.create(stack.target.users_table, password_hash=hashing.hash_password(PASSWORD, weak),
                             default_country_code="+86", username="old-timer")
    assert call_token(password_form(username="old-timer")).status == 200
    upgraded = users.find_by_sub(stack.target.users_table, weak_user.sub).password_hash
    assert hashing.parameters_of(upgraded) == Argon2Parameters(19456, 2, 1)
    assert hashing.verify_password(PASSWORD, upgraded)
    assert call_token(password_form(username="old-timer")).status == 200


def test_hash_upgrade_never_overwrites_a_concurrent_password_change(stack):
    weak = Argon2Parameters(memory_kib=4096, iterations=1, lanes=1)
    user = users.create(stack.target.users_table, password_hash=hashing.hash_password("old", weak),
                        default_country_code="+86", username="racer")
    changed = hashing.hash_password("new", Argon2Parameters(19456, 2, 1))
    users.set_password_hash(stack.target.users_table, user.sub, changed)
    stale_upgrade = hashing.hash_password("old", Argon2Parameters(19456, 2, 1))
    assert users.upgrade_password_hash(stack.target.users_table, user.sub, user.password_hash, stale_upgrade) is False
    assert users.find_by_sub(stack.target.users_table, user.sub).password_hash == changed


def test_configured_stronger_parameters_apply_to_rehash(call_token, password_form, stack, client, user, monkeypatch):
    from oidc_core import config

    monkeypatch.setenv("ARGON2_MEMORY_KIB", "32768")
    monkeypatch.setenv("ARGON2_ITERATIONS", "3")
    config.settings.cache_clear()
    assert call_token(password_form()).status == 200
    upgraded = users.find_by_sub(stack.target.users_table, user.sub).password_hash
    assert hashing.parameters_of(upgraded) == Argon2Parameters(32768, 3, 1)


def test_access_token_lifetime_follows_configuration(call_token, call_discovery, password_form, client, user, monkeypatch):
    from oidc_core import config

    monkeypatch.setenv("ACCESS_TOKEN_TTL", "600")
    config.settings.cache_clear()
    body = call_token(password_form()).json()
    claims = verified_claims(call_discovery, body["access_token"])
    assert body["expires_in"] == 600 == claims["exp"] - claims["iat"]


def test_logs_never_contain_the_password_or_tokens(call_token, password_form, client, user, caplog):
    body = call_token(password_form(scope="openid offline_access")).json()
    call_token(password_form(password="wrong-" + PASSWORD))
    # every field of every record, extra keys included: what the JSON log line is made of
    logged = "\n".join(json.dumps(record.__dict__, default=str) for record in caplog.records)
    assert '"outcome": "succeeded"' in logged and "wrong_password" in logged
    for secret in (PASSWORD, CLIENT_SECRET, body["access_token"], body["id_token"], body["refresh_token"]):
        assert secret not in logged


def test_a_client_secret_that_verified_is_not_hashed_again_but_a_wrong_one_always_is(
    call_token, password_form, stack, client, user, monkeypatch
):
    checked = []
    real_verify = hashing.verify_password
    monkeypatch.setattr(hashing, "verify_password", lambda pw, h: checked.append(h) or real_verify(pw, h))

    def client_checks(**overrides) -> int:
        checked.clear()
        call_token(password_form(**overrides))
        return checked.count(client.secret_hash)

    assert client_checks() == 1  # first use in this container: Argon2id
    assert client_checks() == 0  # remembered
    assert client_checks(client_secret="wrong") == 1  # guessing pays full price every time
    assert client_checks(client_secret="wrong") == 1
    assert call_token(password_form(client_secret="wrong")).status == 401

    # a new secret is a new stored hash: the old one is no longer accepted, remembered or not
    replacement = hashing.hash_password("rotated-secret", Argon2Parameters(19456, 2, 1))
    boto3.client("dynamodb").update_item(
        TableName=stack.target.clients_table, Key={"client_id": {"S": CLIENT_ID}},
        UpdateExpression="SET secret_hash = :h", ExpressionAttributeValues={":h": {"S": replacement}})
    assert call_token(password_form()).status == 401
    assert call_token(password_form(client_secret="rotated-secret")).status == 200
