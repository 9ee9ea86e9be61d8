"""Key rotation that nobody notices: Secrets Manager's four rotation steps (emulated Secrets Manager, the real
rotation code) run one by one while logins (plain, RSA- and SM2-encrypted), refreshes and JWKS verifications go on,
by clients that fetched the JWKS and /api/v3/system before the rotation and by ones that fetch them afresh.

No test sleeps: time passing is written into the secrets (their timestamps moved into the past).
"""

from __future__ import annotations

import json

import boto3
import jwt
import pytest

from helpers import CLIENT_ID, CLIENT_SECRET, PASSWORD
from oidc_core import config
from oidc_core.keys import keyring
from oidc_core.keys import rotation
from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

SCOPE = "openid profile offline_access"


def _secret(secret_id: str) -> dict:
    return json.loads(boto3.client("secretsmanager").get_secret_value(
        SecretId=secret_id, VersionStage="AWSCURRENT")["SecretString"])


def _put(secret_id: str, document: dict) -> None:
    boto3.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))


class Clients:
    """What the relying parties and browsers hold: a JWKS and the password-encryption keys, each fetched once."""

    def __init__(self, call_discovery):
        self.call_discovery = call_discovery
        self.jwks = call_discovery("/oidc/.well-known/jwks.json").json()
        self.system = call_discovery("/api/v3/system").json()

    def verify(self, token: str, token_type: str = "at+jwt") -> dict:
        header = jwt.get_unverified_header(token)
        (jwk,) = [key for key in self.jwks["keys"] if key["kid"] == header["kid"]]
        return jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], options={"verify_aud": False})

    def encrypted_passwords(self) -> dict:
        from cryptography.hazmat.primitives import serialization

        rsa_key = serialization.load_pem_public_key(self.system["rsa"]["publicKey"].encode())
        return {"rsa": rsa_encrypt(PASSWORD, rsa_key),
                "sm2": sm2_encrypt(PASSWORD.encode(), self.system["sm2"]["publicKey"])}


@pytest.fixture
def traffic(call_token, call_session, call_discovery, password_form, client, user):
    refresh_tokens = []

    def go(*holders: Clients) -> list[str]:
        """Logins by every holder (plain and encrypted to the keys it holds), a refresh, and every token verified by
        every holder's JWKS and by userinfo; returns the kids that signed."""
        answers = [call_token(password_form(scope=SCOPE))]
        for holder in holders:
            for encrypt_type, ciphertext in holder.encrypted_passwords().items():
                answers.append(call_token(password_form(scope=SCOPE, password=ciphertext,
                                                        password_encrypt_type=encrypt_type)))
        if refresh_tokens:
            answers.append(call_token({"grant_type": "refresh_token", "refresh_token": refresh_tokens[-1],
                                       "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}))
        kids = []
        for answer in answers:
            assert answer.status == 200, answer
            body = answer.json()
            refresh_tokens.append(body["refresh_token"])
            for holder in holders:
                holder.verify(body["access_token"])
                holder.verify(body["id_token"], "JWT")
            userinfo = call_session("GET", "/oidc/me", headers={"authorization": f"Bearer {body['access_token']}"})
            assert userinfo.status == 200, userinfo
            kids.append(jwt.get_unverified_header(body["access_token"])["kid"])
        return kids

    return go


def _travel(stack, seconds: int) -> None:
    """`seconds` pass: every timestamp in the key secrets moves that far into the past."""
    signing = _secret(stack.target.signing_key_secret_id)
    for key in signing["keys"]:
        key["published_at"] = key.get("published_at", 0) - seconds
    _put(stack.target.signing_key_secret_id, signing)
    password = _secret(stack.target.password_keys_secret_id)
    password["publish_at"] -= seconds
    _put(stack.target.password_keys_secret_id, password)
    public = _secret(stack.target.public_keys_secret_id)
    public["password_encryption"]["publish_at"] -= seconds
    _put(stack.target.public_keys_secret_id, public)
    keyring.clear_cache()


@pytest.mark.parametrize("warm", [True, False], ids=["containers-keep-their-cache", "fresh-containers"])
def test_the_four_rotation_steps_under_traffic(stack, call_discovery, traffic, warm):
    settings = config.settings()
    store = rotation.KeyStore.from_settings(settings)
    secretsmanager = boto3.client("secretsmanager")
    before = Clients(call_discovery)
    first_kids = set(traffic(before))
    assert first_kids == {before.jwks["keys"][0]["kid"]}

    for secret_id in (stack.target.signing_key_secret_id, stack.target.password_keys_secret_id):
        token = f"rotation-{secret_id[-12:]}-0123456789abcdef"
        for step in rotation.STEPS:
            rotation.run_step(secretsmanager, store, step, secret_id, token)
            if not warm:
                keyring.clear_cache()
            # a client that fetched before the rotation and one that fetches now both keep working
            assert set(traffic(before, Clients(call_discovery))) == first_kids  # nothing signs with the new key yet
    keyring.clear_cache()
    after = Clients(call_discovery)
    assert len(after.jwks["keys"]) == 2  # the new key is published, the signing one still is
    assert after.system == before.system  # the new password keys are not published before every container has them

    # Every JWKS cache has expired since the new key was published: it signs now; the retired key stays published.
    _travel(stack, settings.signing_activation_seconds + 1)
    later = Clients(call_discovery)
    assert {key["kid"] for key in later.jwks["keys"]} == {key["kid"] for key in after.jwks["keys"]}
    assert later.system["rsa"]["publicKey"] != before.system["rsa"]["publicKey"]
    assert later.system["sm2"]["publicKey"] != before.system["sm2"]["publicKey"]
    new_kids = set(traffic(Clients(call_discovery)))
    assert new_kids and not new_kids & first_kids
    # a browser that still holds the previous password keys logs in during the overlap window
    stale_browser = Clients(call_discovery)
    stale_browser.system = before.system
    traffic(stale_browser)


def test_the_previous_password_keys_stop_after_the_overlap_window(stack, call_discovery, call_token, password_form,
                                                                  client, user):
    settings = config.settings()
    before = Clients(call_discovery)
    rotation.rotate(boto3.client("secretsmanager"), rotation.KeyStore.from_settings(settings),
                    stack.target.password_keys_secret_id)
    _travel(stack, settings.signing_activation_seconds + settings.password_key_overlap_seconds + 1)
    for encrypt_type, ciphertext in before.encrypted_passwords().items():
        reply = call_token(password_form(password=ciphertext, password_encrypt_type=encrypt_type))
        assert reply.status == 400 and reply.json()["error"] == "invalid_grant", encrypt_type
    for encrypt_type, ciphertext in Clients(call_discovery).encrypted_passwords().items():
        assert call_token(password_form(password=ciphertext, password_encrypt_type=encrypt_type)).status == 200


def test_a_retired_signing_key_is_dropped_once_its_tokens_have_expired(stack):
    settings = config.settings()
    store = rotation.KeyStore.from_settings(settings)
    secretsmanager = boto3.client("secretsmanager")
    (first,) = _secret(stack.target.signing_key_secret_id)["keys"]
    rotation.rotate(secretsmanager, store, stack.target.signing_key_secret_id)
    _travel(stack, settings.signing_activation_seconds)  # the second key signs from now
    rotation.rotate(secretsmanager, store, stack.target.signing_key_secret_id)
    kids = [key["kid"] for key in _secret(stack.target.signing_key_secret_id)["keys"]]
    assert first["kid"] in kids and len(kids) == 3  # its tokens may still be live

    _travel(stack, settings.token_retention_seconds + keyring.CLOCK_SLACK_SECONDS)
    rotation.rotate(secretsmanager, store, stack.target.signing_key_secret_id)
    kids = [key["kid"] for key in _secret(stack.target.signing_key_secret_id)["keys"]]
    assert first["kid"] not in kids and len(kids) == 3
    published = [key["kid"] for key in _secret(stack.target.public_keys_secret_id)["jwks"]["keys"]]
    assert published == kids[::-1]  # newest first, exactly the private document's keys


def test_in_the_overlap_window_every_encrypted_login_does_the_same_work(stack, call_discovery, call_token,
                                                                        password_form, client, user, monkeypatch):
    """Encrypted to the previous key, to the new key, or garbage: two decryptions and two checks against the user's
    real hash each time, so neither the answer nor its cost says which key fitted or whether the padding was good."""
    from oidc_core.passwords import hashing
    from oidc_core.passwords.decryption import rsa as rsa_passwords

    settings = config.settings()
    before = Clients(call_discovery)
    rotation.rotate(boto3.client("secretsmanager"), rotation.KeyStore.from_settings(settings),
                    stack.target.password_keys_secret_id)
    _travel(stack, settings.signing_activation_seconds + 1)
    now = Clients(call_discovery)
    checked, decrypted = [], []
    real_verify, real_decrypt = hashing.verify_password, rsa_passwords.decrypt_password
    monkeypatch.setattr(hashing, "verify_password", lambda pw, h: checked.append(h) or real_verify(pw, h))
    monkeypatch.setattr(rsa_passwords, "decrypt_password", lambda *a: decrypted.append(1) or real_decrypt(*a))
    cases = {"previous key": (before.encrypted_passwords()["rsa"], 200),
             "current key": (now.encrypted_passwords()["rsa"], 200),
             "bad padding": (_random_ciphertext(), 400)}
    for name, (ciphertext, status) in cases.items():
        checked.clear(), decrypted.clear()
        reply = call_token(password_form(password=ciphertext, password_encrypt_type="rsa"))
        assert reply.status == status, name
        assert (len(decrypted), checked.count(user.password_hash)) == (2, 2), name  # (the other: client secret)


def _random_ciphertext() -> str:
    import base64
    import random

    return base64.b64encode(random.Random(7).randbytes(256)).decode()


def test_a_second_password_rotation_before_the_first_is_published_keeps_what_clients_hold(
        stack, call_discovery, call_token, password_form, client, user):
    """Two rotations within the publish delay: the first one's keys were never published, so the keys clients hold
    (from before both) must stay the previous ones, and keep logging in, until the second one's keys are published."""
    settings = config.settings()
    store = rotation.KeyStore.from_settings(settings)
    before = Clients(call_discovery)
    for _ in range(2):
        rotation.rotate(boto3.client("secretsmanager"), store, stack.target.password_keys_secret_id)
        keyring.clear_cache()
    assert Clients(call_discovery).system["rsa"] == before.system["rsa"]  # still what clients hold
    for encrypt_type, ciphertext in before.encrypted_passwords().items():
        reply = call_token(password_form(password=ciphertext, password_encrypt_type=encrypt_type))
        assert reply.status == 200, (encrypt_type, reply)
    _travel(stack, settings.signing_activation_seconds + 1)
    after = Clients(call_discovery)
    assert after.system["rsa"] != before.system["rsa"]
    for holder in (before, after):  # the overlap window: both decrypt
        for encrypt_type, ciphertext in holder.encrypted_passwords().items():
            assert call_token(password_form(password=ciphertext, password_encrypt_type=encrypt_type)).status == 200


def test_the_rotation_makes_rsa_keys_with_the_padding_the_template_chose(stack, call_discovery, monkeypatch):
    """RsaPasswordPadding reaches RotateKeysFunction as RSA_PASSWORD_PADDING; empty keeps the current key's."""
    from helpers import configure

    configure(monkeypatch, RSA_PASSWORD_PADDING="oaep-sha256")
    store = rotation.KeyStore.from_settings(config.settings())
    rotation.rotate(boto3.client("secretsmanager"), store, stack.target.password_keys_secret_id)
    _travel(stack, config.settings().signing_activation_seconds + 1)
    assert call_discovery("/api/v3/system").json()["rsa"]["padding"] == "oaep-sha256"

    configure(monkeypatch, RSA_PASSWORD_PADDING="")
    rotation.rotate(boto3.client("secretsmanager"), rotation.KeyStore.from_settings(config.settings()),
                    stack.target.password_keys_secret_id)
    assert _secret(stack.target.password_keys_secret_id)["rsa"]["padding"] == "oaep-sha256"


def _max_age(reply) -> int:
    """The max-age of a response's Cache-Control: how long a client may keep it without asking again."""
    directives = [directive.strip() for directive in reply.headers["cache-control"].split(",")]
    (max_age,) = [int(directive.split("=", 1)[1]) for directive in directives if directive.startswith("max-age=")]
    return max_age


def test_a_new_signing_key_signs_only_once_every_cached_jwks_knows_it(stack, call_discovery, call_token,
                                                                      password_form, client, user):
    """A JWKS without the new key may be served for KeyCacheSeconds after the key is published (a container's cache
    of the public keys), and a client may keep that answer for the JWKS's max-age: until both have passed, a token
    signed with the new key would not verify for that client. The max-age is the one the JWKS answer carries."""
    settings = config.settings()
    jwks_reply = call_discovery("/oidc/.well-known/jwks.json")
    max_age = _max_age(jwks_reply)
    assert max_age > 0
    (old_kid,) = [key["kid"] for key in jwks_reply.json()["keys"]]

    def signing_kid() -> str:
        keyring.clear_cache()
        reply = call_token(password_form())
        assert reply.status == 200, reply
        return jwt.get_unverified_header(reply.json()["access_token"])["kid"]

    secret_id = stack.target.signing_key_secret_id
    for step in rotation.STEPS:
        rotation.run_step(boto3.client("secretsmanager"), rotation.KeyStore.from_settings(settings), step, secret_id,
                          "rotation-activation-0123456789abcdef")
    _travel(stack, settings.key_cache_seconds + max_age)
    assert signing_kid() == old_kid  # the last JWKS without the new key may still be in a client's cache
    _travel(stack, settings.signing_activation_seconds - settings.key_cache_seconds - max_age + 1)
    assert signing_kid() != old_kid  # and the new key does sign in the end


def test_the_tools_provision_with_the_functions_activation_delay(stack):
    assert stack.target.signing_activation_seconds == config.settings().signing_activation_seconds
