"""DiscoveryFunction: the metadata and JWKS that standard OIDC client libraries read."""

from __future__ import annotations

import boto3
import jwt

from helpers import ISSUER
from oidc_core.keys import keyring
from oidc_tools import template
from oidc_tools.stack.operations import rotate_signing_key


def test_provider_metadata(call_discovery, stack):
    reply = call_discovery("/oidc/.well-known/openid-configuration")
    assert reply.status == 200
    metadata = reply.json()
    assert metadata["issuer"] == ISSUER
    assert metadata["token_endpoint"] == ISSUER + "/token"
    assert metadata["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert metadata["userinfo_endpoint"] == ISSUER + "/me"
    assert metadata["introspection_endpoint"] == ISSUER + "/token/introspection"
    assert metadata["revocation_endpoint"] == ISSUER + "/token/revocation"
    assert metadata["end_session_endpoint"] == ISSUER + "/session/end"
    assert metadata["grant_types_supported"] == ["authorization_code", "password", "refresh_token", "client_credentials"]
    for endpoint in ("token", "introspection", "revocation"):
        assert set(metadata[f"{endpoint}_endpoint_auth_methods_supported"]) == {
            "client_secret_basic", "client_secret_post", "none"}
    assert set(metadata["scopes_supported"]) == {"openid", "profile", "email", "address", "phone", "offline_access"}
    assert {"sub", "email", "email_verified", "phone_number", "name", "preferred_username"} <= set(metadata["claims_supported"])
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert metadata["subject_types_supported"] == ["public"]
    assert metadata["response_types_supported"]


def test_jwks_publishes_the_current_key_and_keeps_the_previous_after_rotation(call_discovery, stack):
    first = call_discovery("/oidc/.well-known/jwks.json").json()["keys"]
    assert len(first) == 1
    (key,) = first
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    jwt.PyJWK(key)  # a valid RSA JWK

    new_kid = rotate_signing_key(stack.target)
    keyring.clear_cache()
    second = call_discovery("/oidc/.well-known/jwks.json").json()["keys"]
    assert [k["kid"] for k in second] == [new_kid, key["kid"]]


def test_kid_is_the_rfc7638_thumbprint_and_stable(call_discovery, stack, call_token, password_form, client, user):
    from oidc_core.keys.jwk import thumbprint

    (key,) = call_discovery("/oidc/.well-known/jwks.json").json()["keys"]
    assert key["kid"] == thumbprint(key)
    tokens = [call_token(password_form()).json()["access_token"] for _ in range(2)]
    assert {jwt.get_unverified_header(token)["kid"] for token in tokens} == {key["kid"]}


def test_discovery_function_cannot_see_a_private_key(stack):
    environment = stack.environments["DiscoveryFunction"]
    assert "SIGNING_KEY_SECRET_ID" not in environment
    public = boto3.client("secretsmanager").get_secret_value(SecretId=environment["PUBLIC_KEYS_SECRET_ID"])
    assert "PRIVATE KEY" not in public["SecretString"]
    statements = template.load()["Resources"]["DiscoveryFunction"]["Properties"]["Policies"][0]["Statement"]
    assert [statement["Resource"] for statement in statements] == [{"Ref": "PublicKeysSecret"}]


def test_jwks_outage_is_503(call_discovery, stack):
    boto3.client("secretsmanager").delete_secret(SecretId=stack.target.public_keys_secret_id,
                                                 ForceDeleteWithoutRecovery=True)
    reply = call_discovery("/oidc/.well-known/jwks.json")
    assert reply.status == 503 and reply.headers["retry-after"]
