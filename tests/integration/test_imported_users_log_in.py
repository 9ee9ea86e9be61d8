"""Users brought from elsewhere log in through the token endpoint: each imported hash algorithm, upgraded to Argon2id
by the first login; and a sub of the source's own alphabet works at every endpoint that carries it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

import bcrypt
import jwt
import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2i

from helpers import CLIENT_ID, CLIENT_SECRET, basic_auth, configure
from oidc_core.passwords import imported
from oidc_core.store import users
from oidc_tools.stack.operations import update_client

PASSWORD = "imported pässword"
WRONG = {"error": "invalid_grant", "error_description": "invalid credentials provided"}


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _firebase_vector() -> tuple[str, str]:
    # firebase/scrypt's README: the project's parameters, one exported user, and the password it was made from.
    return imported.firebase_scrypt(
        rounds=8, memory_cost=14, salt=_b64("42xEC+ixf3L2lw=="), separator=_b64("Bw=="),
        signer_key=_b64("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="),
        derived=_b64("lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==")
    ), "user1password"


ALGORITHMS = {
    "bcrypt": lambda: (bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode(), PASSWORD),
    "argon2i": lambda: (Argon2i(salt=b"0123456789abcdef", length=32, iterations=2, lanes=1, memory_cost=1024)
                        .derive_phc_encoded(PASSWORD.encode()), PASSWORD),
    "pbkdf2-sha256": lambda: (imported.pbkdf2("sha256", 1000, b"keycloak-salt", hashlib.pbkdf2_hmac(
        "sha256", PASSWORD.encode(), b"keycloak-salt", 1000, 64)), PASSWORD),
    "pbkdf2-sha1": lambda: ("$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA", "Test@123"),
    "scrypt": lambda: (imported.scrypt(1024, 8, 1, b"salt", hashlib.scrypt(PASSWORD.encode(), salt=b"salt", n=1024, r=8,
                                                                           p=1, dklen=32)), PASSWORD),
    "firebase-scrypt": _firebase_vector,
    "md5": lambda: (imported.salted_digest("md5", hashlib.md5(b"s4lt" + PASSWORD.encode()).digest(), b"s4lt"),
                    PASSWORD),
    "md4": lambda: (imported.salted_digest("md4", bytes.fromhex("d9130a8164549fe818874806e1c7014b")), "message digest"),
    "sha512": lambda: (imported.salted_digest("sha512", hashlib.sha512(PASSWORD.encode() + b"pepper").digest(),
                                              b"pepper", "suffix"), PASSWORD),
    "hmac-sha256": lambda: (imported.hmac_digest("sha256", b"site key", hmac.new(b"site key", PASSWORD.encode(),
                                                                                 "sha256").digest()), PASSWORD),
    "ldap-ssha": lambda: (imported.from_ldap("{SSHA}" + base64.b64encode(
        hashlib.sha1(PASSWORD.encode() + b"salt").digest() + b"salt").decode()), PASSWORD),
}


def _create(stack, password_hash: str, sub: str, username: str = "imported") -> users.User:
    return users.create(stack.target.users_table, password_hash=password_hash, default_country_code="+86",
                        username=username, email=f"{username}@example.com", email_verified=True,
                        profile={"name": "Imported Person"}, sub=sub)


def _stored_hash(stack, sub: str) -> str:
    return users.find_by_sub(stack.target.users_table, sub).password_hash


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_each_imported_algorithm_logs_in_and_is_upgraded_to_argon2id(call_token, password_form, stack, client,
                                                                     algorithm):
    stored, password = ALGORITHMS[algorithm]()
    _create(stack, stored, sub=f"source|{algorithm}")

    wrong = call_token(password_form(username="imported", password=password + "x"))
    assert (wrong.status, wrong.json()) == (400, WRONG)
    assert _stored_hash(stack, f"source|{algorithm}") == stored  # a failure changes nothing

    first = call_token(password_form(username="imported", password=password, scope="openid profile email"))
    assert first.status == 200, first
    claims = jwt.decode(first.json()["id_token"], options={"verify_signature": False})
    assert claims["sub"] == f"source|{algorithm}" and claims["name"] == "Imported Person"
    upgraded = _stored_hash(stack, f"source|{algorithm}")
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")

    again = call_token(password_form(username="imported", password=password))
    assert again.status == 200, again
    wrong = call_token(password_form(username="imported", password=password + "x"))
    assert (wrong.status, wrong.json()) == (400, WRONG)


def test_the_login_page_upgrades_an_imported_hash_too(stack, handlers, client):
    """A first login on the browser's login page replaces the imported hash as the token endpoint's does."""
    from browser_helpers import HandlerBrowser, pkce_pair
    from oidc_tools.stack.operations import create_client

    app = "https://app.example.com/callback"
    create_client(stack.target, "spa", auth_method="none", grant_types=("authorization_code",), redirect_uris=(app,))
    stored, password = ALGORITHMS["bcrypt"]()
    _create(stack, stored, sub="source|browser")
    browser = HandlerBrowser(handlers)
    _, challenge = pkce_pair()
    page = browser.authorize(client_id="spa", redirect_uri=app, response_type="code", scope="openid",
                             code_challenge=challenge, code_challenge_method="S256")
    answer = browser.login(page, "imported", password)
    assert answer.status == 303 and "code" in answer.callback(), answer
    assert _stored_hash(stack, "source|browser").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_hash_beyond_the_ceiling_never_logs_in(call_token, password_form, stack, client):
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode().replace("$04$", "$17$", 1)
    _create(stack, stored, sub="too-costly")
    reply = call_token(password_form(username="imported", password=PASSWORD))
    assert (reply.status, reply.json()) == (400, WRONG)


# A sub of the source's alphabet, everywhere one is carried: tokens, refresh families, userinfo, introspection,
# lockout counters and sign-out.
SUBS = ["auth0|5f7c8ec7c33c6c004bbafe82", "urn:firebase:a/b+c==", "用户:é/+ 𝔸", "x" * 255, "ü" * 255]


@pytest.mark.parametrize("sub", SUBS)
def test_a_foreign_sub_works_at_every_endpoint(call_token, call_session, password_form, stack, client, sub):
    _create(stack, imported.salted_digest("sha256", hashlib.sha256(PASSWORD.encode()).digest()), sub=sub)
    update_client(stack.target, CLIENT_ID, post_logout_redirect_uris=["https://app.example.test/out"])
    login = call_token(password_form(username="imported", password=PASSWORD, scope="openid profile offline_access"))
    assert login.status == 200, login
    tokens = login.json()
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"] == sub

    me = call_session("GET", "/oidc/me", headers={"authorization": f"Bearer {tokens['access_token']}"})
    assert me.status == 200 and me.json()["sub"] == sub
    auth = {"authorization": basic_auth(CLIENT_ID, CLIENT_SECRET)}
    for token in (tokens["access_token"], tokens["refresh_token"]):
        seen = call_session("POST", "/oidc/token/introspection", {"token": token}, headers=auth).json()
        assert seen["active"] is True and seen["sub"] == sub

    refreshed = call_token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert refreshed.status == 200, refreshed
    assert jwt.decode(refreshed.json()["id_token"], options={"verify_signature": False})["sub"] == sub

    ended = call_session("GET", "/oidc/session/end", query=urlencode({"id_token_hint": tokens["id_token"]}))
    assert ended.status == 200
    after = call_token({"grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"],
                        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert after.status == 400 and after.json()["error"] == "invalid_grant"


def test_a_foreign_sub_locks_like_any_other(call_token, password_form, stack, client, monkeypatch):
    configure(monkeypatch, LOCKOUT_PAIR_THRESHOLD="2", LOCKOUT_VISIBLE="true")
    _create(stack, imported.salted_digest("sha256", hashlib.sha256(PASSWORD.encode()).digest()), sub="auth0|a:b/c+d")
    for _ in range(2):
        assert call_token(password_form(username="imported", password="wrong")).status == 400
    locked = call_token(password_form(username="imported", password=PASSWORD))
    assert locked.status == 400 and "retry-after" in locked.headers


@pytest.mark.parametrize("sub", ["", "x" * 256, "line\nbreak", users.NOBODY])
def test_a_sub_no_user_may_have_is_refused(stack, sub):
    with pytest.raises(ValueError):
        _create(stack, "", sub=sub)

