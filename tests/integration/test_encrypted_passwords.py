"""password_encrypt_type=rsa and sm2 through the real handlers: keys from their own secret, the published keys at
/api/v3/system, configuration of RSA padding and SM2 order, and failures that look exactly like a wrong password."""

from __future__ import annotations

import base64
import importlib.metadata
import json
import random
import time

import boto3
import pytest

from helpers import PASSWORD
from oidc_core import config
from oidc_core.keys import keyring
from oidc_core.passwords import hashing
from oidc_core.passwords.decryption import rsa as rsa_passwords
from oidc_core.passwords.decryption import sm2 as sm2_passwords
from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt
from oidc_tools.stack.operations import replace_password_keys

INVALID_CREDENTIALS = {"error": "invalid_grant", "error_description": "invalid credentials provided"}


@pytest.fixture
def published(call_discovery, stack):
    reply = call_discovery("/api/v3/system")
    assert reply.status == 200, reply
    return reply.json()


def rsa_public_key(published):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_public_key(published["rsa"]["publicKey"].encode())


def test_system_info_publishes_the_keys_of_the_password_secret(published, stack):
    private = json.loads(boto3.client("secretsmanager").get_secret_value(
        SecretId=stack.target.password_keys_secret_id)["SecretString"])
    rsa_key = rsa_passwords.load_private_key(private["rsa"]["private_key_pem"])
    assert published["rsa"]["publicKey"] == rsa_passwords.public_key_pem(rsa_key)
    assert published["rsa"]["padding"] == "pkcs1v15"
    assert published["sm2"]["publicKey"] == sm2_passwords.load_private_key(private["sm2"]["private_key_hex"]).public_key_hex
    assert published["sm2"]["cipherMode"] == 1 and published["sm2"]["ciphertextOrder"] == "C1C3C2"
    assert set(published) == {"rsa", "sm2", "version", "publicIps"}
    assert published["version"] == {"server": "serverless-oidc", "version": importlib.metadata.version("serverless-oidc")}
    assert rsa_key.key_size == 2048


def test_rsa_pkcs1_login_in_every_base64_spelling(call_token, password_form, published, client, user):
    ciphertext = rsa_encrypt(PASSWORD, rsa_public_key(published))
    raw = base64.b64decode(ciphertext)
    spellings = {
        "standard": ciphertext,
        "url-safe, unpadded": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "short (JSEncrypt 2.x)": base64.b64encode(raw.lstrip(b"\x00") or raw).decode(),
    }
    for name, text in spellings.items():
        reply = call_token(password_form(password=text, password_encrypt_type="rsa"))
        assert reply.status == 200, (name, reply)


@pytest.mark.parametrize("spelling", ["plain", "upper", "prefixed", "with 04", "prefixed, upper, with 04"])
def test_sm2_login_in_every_spelling(call_token, password_form, published, client, user, spelling):
    ciphertext = sm2_encrypt(PASSWORD.encode(), published["sm2"]["publicKey"])
    text = {
        "plain": ciphertext,
        "upper": ciphertext.upper(),
        "prefixed": "sm2:" + ciphertext,
        "with 04": "04" + ciphertext,
        "prefixed, upper, with 04": "SM2:04" + ciphertext.upper(),
    }[spelling]
    reply = call_token(password_form(password=text, password_encrypt_type="sm2"))
    assert reply.status == 200, reply


def test_operator_can_switch_rsa_to_oaep_and_it_is_published(call_token, call_discovery, password_form, stack,
                                                            client, user):
    # a rotation long enough ago that the new keys are published (they are once every container can decrypt them)
    replace_password_keys(stack.target, rsa_padding="oaep-sha256",
                          now=int(time.time()) - stack.target.signing_activation_seconds - 1)
    keyring.clear_cache()
    published = call_discovery("/api/v3/system").json()
    assert published["rsa"]["padding"] == "oaep-sha256"
    public_key = rsa_public_key(published)
    oaep = rsa_encrypt(PASSWORD, public_key, oaep=True)
    assert call_token(password_form(password=oaep, password_encrypt_type="rsa")).status == 200
    pkcs1 = rsa_encrypt(PASSWORD, public_key)
    assert call_token(password_form(password=pkcs1, password_encrypt_type="rsa")).json() == INVALID_CREDENTIALS


def test_sm2_c1c2c3_by_configuration(call_token, call_discovery, password_form, client, user, monkeypatch):
    monkeypatch.setenv("SM2_CIPHER_MODE", "c1c2c3")
    config.settings.cache_clear()
    published = call_discovery("/api/v3/system").json()
    assert published["sm2"]["cipherMode"] == 0 and published["sm2"]["ciphertextOrder"] == "C1C2C3"
    c1c2c3 = sm2_encrypt(PASSWORD.encode(), published["sm2"]["publicKey"], mode=sm2_passwords.C1C2C3)
    c1c3c2 = sm2_encrypt(PASSWORD.encode(), published["sm2"]["publicKey"], mode=sm2_passwords.C1C3C2)
    assert call_token(password_form(password=c1c3c2, password_encrypt_type="sm2")).json() == INVALID_CREDENTIALS
    assert call_token(password_form(password=c1c2c3, password_encrypt_type="sm2")).status == 200


def test_decryption_failures_take_the_wrong_password_path(call_token, password_form, published, client, user,
                                                          monkeypatch, caplog):
    """Not just the same answer: the same work (user lookup, then Argon2id against the user's real hash)."""
    checked_hashes = []
    real_verify = hashing.verify_password
    monkeypatch.setattr(hashing, "verify_password", lambda pw, h: checked_hashes.append(h) or real_verify(pw, h))
    good = sm2_encrypt(PASSWORD.encode(), published["sm2"]["publicKey"])
    tampered_c3 = good[:130] + format(int(good[130], 16) ^ 1, "x") + good[131:]
    failures = {
        "sm2 C3": (tampered_c3, "sm2"),
        "sm2 hex": ("xyz", "sm2"),
        "rsa base64": ("***", "rsa"),
        "rsa length": (base64.b64encode(b"x" * 300).decode(), "rsa"),
        "rsa padding": (base64.b64encode(random.Random(1).randbytes(256)).decode(), "rsa"),
    }
    for name, (ciphertext, encrypt_type) in failures.items():
        checked_hashes.clear()
        reply = call_token(password_form(password=ciphertext, password_encrypt_type=encrypt_type))
        assert (reply.status, reply.json()) == (400, INVALID_CREDENTIALS), name
        assert checked_hashes[-1] == user.password_hash, name
    logged = "\n".join(json.dumps(record.__dict__, default=str) for record in caplog.records)
    assert "undecryptable_password" in logged and "c3_mismatch" in logged and "bad_base64" in logged
    for ciphertext, _ in failures.values():
        assert ciphertext not in logged


def test_missing_password_keys_are_503_for_encrypted_passwords_only(call_token, password_form, published, stack,
                                                                    client, user):
    boto3.client("secretsmanager").put_secret_value(SecretId=stack.target.password_keys_secret_id, SecretString="{}")
    keyring.clear_cache()
    ciphertext = rsa_encrypt(PASSWORD, rsa_public_key(published))
    reply = call_token(password_form(password=ciphertext, password_encrypt_type="rsa"))
    assert reply.status == 503 and reply.headers["retry-after"]
    assert call_token(password_form()).status == 200


def test_system_info_before_any_key_is_503(call_discovery, stack):
    boto3.client("secretsmanager").put_secret_value(SecretId=stack.target.public_keys_secret_id,
                                                    SecretString='{"jwks": {"keys": []}}')
    keyring.clear_cache()
    reply = call_discovery("/api/v3/system")
    assert reply.status == 503 and reply.json()["error"] == "temporarily_unavailable"


@pytest.mark.parametrize("encrypt_type", ["none", "rsa", "sm2"])
def test_a_thousand_random_byte_strings_never_get_a_5xx(handlers, stack, client, user, encrypt_type, monkeypatch):
    """Random bytes as the password, as they would arrive: raw in the form, or in the encoding the type expects.
    (From one address: the per-IP limit is raised so that every one of them reaches the decryption.)"""
    from urllib.parse import quote_from_bytes

    from oidc_core import config

    monkeypatch.setenv("IP_FAILURE_THRESHOLD", "100000")
    config.settings.cache_clear()

    from helpers import CLIENT_ID, CLIENT_SECRET, Reply, token_event
    from oidc_tools.local.lambda_events import LambdaContext

    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(f"random-passwords-{encrypt_type}")
    bodies = []
    for index in range(1000):
        raw = rng.randbytes(rng.choice([1, 16, 97, 128, 255, 256, 257, rng.randint(1, 400)]))
        if index % 2 and encrypt_type == "rsa":
            password = quote_from_bytes(base64.b64encode(raw))
        elif index % 2 and encrypt_type == "sm2":
            password = raw.hex()
        else:
            password = quote_from_bytes(raw)
        bodies.append((f"grant_type=password&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&username=alice"
                       f"&password_encrypt_type={encrypt_type}&password={password}").encode())

    def send(body: bytes) -> Reply:
        return Reply(handlers["TokenFunction"](token_event(body=body), LambdaContext("TokenFunction")))

    # in parallel, as many containers would: each failure waits for the failure floor (docs/security.md)
    with ThreadPoolExecutor(max_workers=32) as pool:
        replies = list(pool.map(send, bodies))
    statuses = set()
    for index, reply in enumerate(replies):
        assert reply.status < 500, (index, reply)
        assert reply.json()["error"] in ("invalid_grant", "invalid_request"), (index, reply)
        statuses.add(reply.json()["error"])
    assert "invalid_grant" in statuses  # the decryption path was reached, not only the form parser
