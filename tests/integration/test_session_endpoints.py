"""Introspection (RFC 7662), revocation (RFC 7009), userinfo (OIDC Core §5.3, RFC 6750) and RP-initiated logout,
through the real SessionFunction handler against emulated AWS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers import CLIENT_ID, CLIENT_SECRET, ISSUER, basic_auth
from oidc_core.store import users
from oidc_tools.stack.operations import create_client, update_client

AUTH = {"authorization": basic_auth(CLIENT_ID, CLIENT_SECRET)}
LOGOUT_URI = "https://app.example.test/signed-out"


@pytest.fixture
def tokens(call_token, password_form, client, user):
    reply = call_token(password_form(scope="openid profile email offline_access"))
    assert reply.status == 200, reply
    return reply.json()


@pytest.fixture
def other_client(stack):
    return create_client(stack.target, "other", "other-secret-0123")[0]


def introspect(call_session, token: str, headers=AUTH, **extra):
    return call_session("POST", "/oidc/token/introspection", {"token": token, **extra}, headers=headers)


def revoke(call_session, token: str, headers=AUTH, **extra):
    return call_session("POST", "/oidc/token/revocation", {"token": token, **extra}, headers=headers)


def userinfo(call_session, token: str):
    return call_session("GET", "/oidc/me", headers={"authorization": f"Bearer {token}"})


# -- introspection ---------------------------------------------------------------------------------------------------

def test_an_active_access_token_in_authings_shape(call_session, tokens, user):
    reply = introspect(call_session, tokens["access_token"], token_type_hint="access_token")
    assert reply.status == 200 and reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert body["active"] is True and body["token_type"] == "Bearer"
    assert body["sub"] == user.sub and body["client_id"] == CLIENT_ID and body["iss"] == ISSUER
    assert body["scope"] == "openid profile email offline_access"
    assert {"exp", "iat", "jti"} <= set(body)


def test_an_active_refresh_token(call_session, tokens, user):
    body = introspect(call_session, tokens["refresh_token"], token_type_hint="refresh_token").json()
    assert body["active"] is True and body["sub"] == user.sub and body["client_id"] == CLIENT_ID
    assert body["exp"] > time.time()


def test_another_clients_token_is_inactive(call_session, tokens, other_client):
    other = {"authorization": basic_auth("other", "other-secret-0123")}
    assert introspect(call_session, tokens["access_token"], other).json() == {"active": False}
    assert introspect(call_session, tokens["refresh_token"], other).json() == {"active": False}


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 10_000, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
def test_unknown_tokens_are_inactive(call_session, client, token):
    assert introspect(call_session, token).json() == {"active": False}


def test_an_id_token_cannot_be_introspected(call_session, tokens):
    assert introspect(call_session, tokens["id_token"]).json() == {"active": False}


def test_introspection_needs_client_authentication(call_session, tokens):
    reply = introspect(call_session, tokens["access_token"], {"authorization": basic_auth(CLIENT_ID, "wrong")})
    assert reply.status == 401 and reply.json()["error"] == "invalid_client"
    assert reply.headers["www-authenticate"].startswith("Basic")
    reply = introspect(call_session, tokens["access_token"], {})
    assert reply.status == 401


def test_missing_token_parameter_is_invalid_request(call_session, client):
    reply = call_session("POST", "/oidc/token/introspection", {}, headers=AUTH)
    assert reply.status == 400 and reply.json()["error"] == "invalid_request"


def test_strict_introspection_checks_the_user(call_session, stack, tokens, user):
    users.set_blocked(stack.target.users_table, user.sub, True)
    assert introspect(call_session, tokens["access_token"]).json()["active"] is True  # a JWT stands on its own
    assert introspect(call_session, tokens["access_token"], strict="true").json() == {"active": False}
    assert introspect(call_session, tokens["refresh_token"]).json() == {"active": False}  # always checked


def test_a_public_client_may_not_introspect(call_session, call_token, password_form, stack, user):
    """RFC 7662 §2.1: introspection needs client authentication; a client_id alone is none (anyone who knows a SPA's
    could test whether a stolen refresh token is still live without presenting it)."""
    create_client(stack.target, "spa", auth_method="none")
    tokens = call_token(password_form(client_id="spa", client_secret=None, scope="openid offline_access")).json()
    for token in (tokens["access_token"], tokens["refresh_token"]):
        reply = call_session("POST", "/oidc/token/introspection", {"token": token, "client_id": "spa"})
        assert reply.status == 401 and reply.json()["error"] == "invalid_client", reply
        assert "active" not in reply.json()
    # it still revokes its own tokens (RFC 7009 §2.1 lets a public client identify itself by client_id)
    reply = call_session("POST", "/oidc/token/revocation", {"token": tokens["refresh_token"], "client_id": "spa"})
    assert reply.status == 200


# -- revocation ------------------------------------------------------------------------------------------------------

def test_revoking_an_access_token_ends_it_at_introspection_and_userinfo(call_session, stack, tokens):
    assert userinfo(call_session, tokens["access_token"]).status == 200
    reply = revoke(call_session, tokens["access_token"], token_type_hint="access_token")
    assert (reply.status, reply.text) == (200, "")
    assert introspect(call_session, tokens["access_token"]).json() == {"active": False}
    assert userinfo(call_session, tokens["access_token"]).status == 401
    # Recorded until the token would have expired anyway: the table's TTL removes it then.
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    item = boto3.client("dynamodb").get_item(TableName=stack.target.tokens_table,
                                             Key={"pk": {"S": f"revoked#{claims['jti']}"}})["Item"]
    assert int(item["expires_at"]["N"]) == claims["exp"]


def test_revoking_a_refresh_token_revokes_its_family(call_session, call_token, tokens):
    refreshed = call_token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).json()
    assert revoke(call_session, refreshed["refresh_token"], hint="refresh_token").status == 200
    reply = call_token({"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"],
                        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert reply.status == 400 and reply.json()["error"] == "invalid_grant"


def test_revoking_another_clients_token_changes_nothing(call_session, tokens, other_client):
    other = {"authorization": basic_auth("other", "other-secret-0123")}
    assert revoke(call_session, tokens["access_token"], other).status == 200
    assert revoke(call_session, tokens["refresh_token"], other).status == 200
    assert introspect(call_session, tokens["access_token"]).json()["active"] is True
    assert introspect(call_session, tokens["refresh_token"]).json()["active"] is True


@pytest.mark.parametrize("token", ["unknown", "x" * 10_000, "AQ" + "A" * 80])
def test_revoking_an_unknown_token_is_200(call_session, client, token):
    assert (revoke(call_session, token).status, revoke(call_session, token).text) == (200, "")


def test_revocation_needs_client_authentication(call_session, tokens):
    reply = revoke(call_session, tokens["access_token"], {"authorization": basic_auth(CLIENT_ID, "nope")})
    assert reply.status == 401 and reply.json()["error"] == "invalid_client"
    assert introspect(call_session, tokens["access_token"]).json()["active"] is True


# -- userinfo --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [("GET", "/oidc/me"), ("GET", "/oidc/me/"), ("POST", "/oidc/me"),
                                          ("POST", "/oidc/me/")])
def test_userinfo_by_header_on_every_route(call_session, tokens, user, method, path):
    reply = call_session(method, path, headers={"authorization": f"Bearer {tokens['access_token']}"})
    assert reply.status == 200, reply
    assert reply.json() == {"sub": user.sub, "name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell",
                            "nickname": "al", "preferred_username": "Alice", "updated_at": user.updated_at,
                            "email": "Alice@Example.com", "email_verified": True}


def test_userinfo_by_query_and_by_form(call_session, tokens, user):
    query = call_session("GET", "/oidc/me/", query=urlencode({"access_token": tokens["access_token"]}))
    form = call_session("POST", "/oidc/me", {"access_token": tokens["access_token"]})
    assert query.json()["sub"] == form.json()["sub"] == user.sub


def test_userinfo_reads_the_current_record_and_follows_the_scope(call_session, call_token, password_form, stack, client,
                                                                user):
    token = call_token(password_form(scope="openid phone")).json()["access_token"]
    boto3.client("dynamodb").update_item(TableName=stack.target.users_table, Key=users.user_key(user.sub),
                                         UpdateExpression="SET phone_number_verified = :yes",
                                         ExpressionAttributeValues={":yes": {"BOOL": True}})
    assert userinfo(call_session, token).json() == {"sub": user.sub, "phone_number": "+8613800138000",
                                                    "phone_number_verified": True}


def test_two_different_tokens_at_once_is_invalid_request(call_session, call_token, password_form, tokens):
    other = call_token(password_form()).json()["access_token"]
    reply = call_session("GET", "/oidc/me", headers={"authorization": f"Bearer {tokens['access_token']}"},
                         query=urlencode({"access_token": other}))
    assert reply.status == 400 and reply.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in reply.headers["www-authenticate"]


def test_authings_bare_authorization_token_is_the_bearer_token(call_session, tokens, user):
    """Authing's Node SDK sends the user's token as `Authorization: <token>`, next to the query parameter."""
    bare = call_session("GET", "/oidc/me", headers={"authorization": tokens["access_token"]},
                        query=urlencode({"access_token": tokens["access_token"]}))
    assert bare.status == 200 and bare.json()["sub"] == user.sub
    alone = call_session("POST", "/oidc/me/", headers={"authorization": tokens["access_token"]})
    assert alone.status == 200


def test_no_token_is_a_bare_bearer_challenge(call_session, client):
    reply = call_session("GET", "/oidc/me")
    assert reply.status == 401
    assert reply.headers["www-authenticate"] == 'Bearer realm="oidc"'  # RFC 6750 §3.1: no error code


def test_a_blocked_or_deleted_user_gets_nothing(call_session, stack, tokens, user):
    def refused() -> None:
        """RFC 6750 §3.1: invalid_token, in the body and the challenge, and not a claim of the user."""
        reply = userinfo(call_session, tokens["access_token"])
        assert reply.status == 401 and reply.json()["error"] == "invalid_token"
        assert 'error="invalid_token"' in reply.headers["www-authenticate"]
        assert set(reply.json()) == {"error", "error_description"}
        assert user.sub not in reply.text and "Alice" not in reply.text and "8613800138000" not in reply.text

    assert userinfo(call_session, tokens["access_token"]).json()["sub"] == user.sub  # the token works until then
    users.set_blocked(stack.target.users_table, user.sub, True)
    refused()
    boto3.client("dynamodb").delete_item(TableName=stack.target.users_table, Key=users.user_key(user.sub))
    refused()


def test_a_token_without_openid_is_insufficient_scope(call_session, call_token, password_form, client, user):
    token = call_token(password_form(scope="profile")).json()["access_token"]
    reply = userinfo(call_session, token)
    assert reply.status == 403 and 'error="insufficient_scope"' in reply.headers["www-authenticate"]


def _forged(claims: dict, header: dict, key, algorithm: str) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=header)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segments(payload: dict, header: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


def _hs256_keyed_with(secret: bytes, payload: dict, header: dict) -> str:
    """The classic confusion attack, built by hand (PyJWT rightly refuses to HMAC with a PEM key)."""
    signing_input = _segments(payload, {**header, "alg": "HS256"})
    return f"{signing_input}.{_b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def hostile_tokens(tokens: dict, call_discovery) -> dict[str, str]:
    real = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    header = jwt.get_unverified_header(tokens["access_token"])
    jwk = call_discovery("/oidc/.well-known/jwks.json").json()["keys"][0]
    public_pem = jwt.PyJWK(jwk).key.public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expired = {**real, "iat": real["iat"] - 7200, "exp": real["iat"] - 3600}
    return {
        "alg none": _segments(real, {"alg": "none", "typ": "at+jwt", "kid": header["kid"]}) + ".",
        "HS256 keyed with our public key": _hs256_keyed_with(public_pem, real, {"kid": header["kid"], "typ": "at+jwt"}),
        "another key under our kid": _forged(real, {"kid": header["kid"], "typ": "at+jwt"}, stranger, "RS256"),
        "another key, expired claims": _forged(expired, {"kid": header["kid"], "typ": "at+jwt"}, stranger, "RS256"),
        "the id_token": tokens["id_token"],
        "the refresh token": tokens["refresh_token"],
        "another issuer": _forged({**real, "iss": "https://evil.example"}, {"kid": header["kid"], "typ": "at+jwt"},
                                  stranger, "RS256"),
        "garbage": "not a token at all",
        "10 KB": "A" * 10_000,
        "three dots": "...",
        "non-ASCII": "\u00e9\u00e9.\u00e9.\u00e9",
    }


def test_hostile_bearer_tokens_are_401_invalid_token(call_session, call_discovery, tokens):
    for name, token in hostile_tokens(tokens, call_discovery).items():
        reply = call_session("GET", "/oidc/me", headers={"authorization": f"Bearer {token}"})
        assert reply.status == 401, (name, reply)
        assert 'error="invalid_token"' in reply.headers["www-authenticate"], name
        assert introspect(call_session, token).json() == {"active": False} or name == "the refresh token", name


@pytest.mark.parametrize("authorization", ["Basic abc", "Bearer", "Bearer ", "token abc", "\u00e9", "garbage"])
def test_malformed_authorization_headers_are_4xx_oauth_errors(call_session, client, authorization):
    reply = call_session("GET", "/oidc/me", headers={"authorization": authorization})
    assert reply.status in (400, 401) and "error" in reply.json()


# -- logout ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def registered(stack, client):
    return update_client(stack.target, CLIENT_ID, post_logout_redirect_uris=[LOGOUT_URI])


def end_session(call_session, **parameters):
    return call_session("GET", "/oidc/session/end", query=urlencode(parameters))


def test_logout_redirects_to_a_registered_uri_with_state_and_ends_the_session(call_session, call_token, registered,
                                                                              tokens):
    reply = end_session(call_session, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGOUT_URI,
                        state="s t&x")
    assert reply.status == 302
    assert reply.headers["location"] == LOGOUT_URI + "?state=s+t%26x"
    refreshed = call_token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert refreshed.status == 400 and refreshed.json()["error"] == "invalid_grant"


def test_logout_ends_the_session_with_that_client_only(call_session, call_token, password_form, stack, registered,
                                                        tokens, user):
    create_client(stack.target, "other", "other-secret-0123")
    other = call_token(password_form(client_id="other", client_secret="other-secret-0123",
                                     scope="openid offline_access")).json()
    assert end_session(call_session, id_token_hint=tokens["id_token"]).status == 200
    reply = call_token({"grant_type": "refresh_token", "refresh_token": other["refresh_token"], "client_id": "other",
                        "client_secret": "other-secret-0123"})
    assert reply.status == 200


@pytest.mark.parametrize("uri", ["https://evil.example/", LOGOUT_URI + "/extra", LOGOUT_URI.upper(),
                                 "https://app.example.test/signed-out?next=https://evil.example", "//evil.example"])
def test_never_an_open_redirect(call_session, registered, tokens, uri):
    reply = end_session(call_session, id_token_hint=tokens["id_token"], post_logout_redirect_uri=uri, state="x")
    assert reply.status == 200 and "location" not in reply.headers
    assert reply.headers["content-type"].startswith("text/html")
    assert "signed out" in reply.text


def test_an_expired_hint_is_accepted(call_session, monkeypatch, call_token, password_form, registered, user):
    monkeypatch.setenv("ID_TOKEN_TTL", "60")
    from oidc_core import config

    config.settings.cache_clear()
    id_token = call_token(password_form()).json()["id_token"]
    claims = jwt.decode(id_token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60
    with monkeypatch.context() as later:  # the hint is checked an hour later: past its exp
        real_time = time.time
        later.setattr(time, "time", lambda: real_time() + 3600)
        reply = end_session(call_session, id_token_hint=id_token, post_logout_redirect_uri=LOGOUT_URI)
    assert reply.status == 302


def test_a_forged_hint_is_refused_and_does_not_redirect(call_session, call_discovery, registered, tokens):
    forged = hostile_tokens(tokens, call_discovery)["another key under our kid"]
    reply = end_session(call_session, id_token_hint=forged, post_logout_redirect_uri=LOGOUT_URI)
    assert reply.status == 400 and "location" not in reply.headers
    access_as_hint = end_session(call_session, id_token_hint=tokens["access_token"], post_logout_redirect_uri=LOGOUT_URI)
    assert access_as_hint.status == 400


def test_logout_without_a_hint_redirects_only_with_a_client_id_that_registered_the_uri(call_session, registered):
    assert end_session(call_session, post_logout_redirect_uri=LOGOUT_URI).status == 200
    reply = end_session(call_session, client_id=CLIENT_ID, post_logout_redirect_uri=LOGOUT_URI, state="abc")
    assert reply.status == 302 and reply.headers["location"] == LOGOUT_URI + "?state=abc"
    assert end_session(call_session, client_id="x" * 5000, post_logout_redirect_uri=LOGOUT_URI).status == 200


def test_a_hint_for_another_client_id_is_refused(call_session, call_token, stack, registered, tokens, other_client):
    """An id_token of `app` does not sign the user out of `other`, nor send the browser to other's logout URI."""
    update_client(stack.target, "other", post_logout_redirect_uris=[LOGOUT_URI + "/other"])
    reply = end_session(call_session, id_token_hint=tokens["id_token"], client_id="other",
                        post_logout_redirect_uri=LOGOUT_URI + "/other", state="x")
    assert reply.status == 400 and "location" not in reply.headers
    assert "not valid" in reply.text and "signed out" not in reply.text
    # nobody was signed out: the session of the hint's own client goes on
    refreshed = call_token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert refreshed.status == 200, refreshed


def test_the_logout_page_echoes_nothing_from_the_request(call_session, client):
    reply = end_session(call_session, state="<script>alert(1)</script>", post_logout_redirect_uri="javascript:alert(1)")
    assert "<script>" not in reply.text and "javascript:" not in reply.text
    assert reply.headers["content-security-policy"].startswith("default-src 'none'")
