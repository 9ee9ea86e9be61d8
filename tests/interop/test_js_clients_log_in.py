"""Browser clients built for Authing log in unchanged: they read the public keys from /api/v3/system, encrypt the
password with JSEncrypt or sm-crypto (the real libraries, run by node) and post it to /oidc/token over HTTP."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

DEMO = {"grant_type": "password", "client_id": "demo-client", "client_secret": "demo-secret", "username": "demo",
        "scope": "openid profile"}
INVALID_CREDENTIALS = {"error": "invalid_grant", "error_description": "invalid credentials provided"}


@pytest.fixture(scope="module")
def system(running_stack):
    status, headers, body = running_stack.json("GET", "/api/v3/system")
    assert status == 200, body
    return body


def login(stack, ciphertext: str, encrypt_type: str, **extra):
    form = {**DEMO, "password": ciphertext, "password_encrypt_type": encrypt_type, **extra}
    status, _, body = stack.json("POST", "/oidc/token", urlencode(form).encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded"})
    return status, body


def test_system_info_has_authings_shape(system):
    assert system["rsa"]["publicKey"].startswith("-----BEGIN PUBLIC KEY-----")
    assert system["rsa"]["padding"] == "pkcs1v15"
    assert len(system["sm2"]["publicKey"]) == 130 and system["sm2"]["publicKey"].startswith("04")
    assert system["sm2"]["cipherMode"] == 1
    assert system["version"]["server"] == "serverless-oidc"
    assert system["publicIps"] == []
    assert "private" not in json.dumps(system).lower()


def test_jsencrypt_login(running_stack, system, node):
    """What Authing's web SDK does: new JSEncrypt(); setPublicKey(data.rsa.publicKey); encrypt(password)."""
    (ciphertext,) = node([{"type": "rsa", "publicKey": system["rsa"]["publicKey"], "plaintext": "demo-password"}])
    status, body = login(running_stack, ciphertext, "rsa")
    assert status == 200, body
    assert body["id_token"] and body["access_token"]


def test_jsencrypt_2x_short_ciphertext_login(running_stack, system, node):
    (ciphertext,) = node([{"type": "rsa-unpadded", "publicKey": system["rsa"]["publicKey"],
                           "plaintext": "demo-password", "short": True}])
    status, body = login(running_stack, ciphertext, "rsa")
    assert status == 200, body


@pytest.mark.parametrize("prefix", ["", "sm2:"])
def test_sm_crypto_login(running_stack, system, node, prefix):
    """What Authing's miniapp SDK does: sm2.doEncrypt(password, data.sm2.publicKey, cipherMode)."""
    (ciphertext,) = node([{"type": "sm2", "publicKey": system["sm2"]["publicKey"], "plaintext": "demo-password",
                           "cipherMode": system["sm2"]["cipherMode"]}])
    status, body = login(running_stack, prefix + ciphertext, "sm2")
    assert status == 200, body


def test_a_user_with_an_emoji_password_logs_in_through_jsencrypt_and_sm_crypto(running_stack, system, node):
    import subprocess
    import sys

    from stack_process import ROOT

    password = "密码😀𠀀 rare"
    created = subprocess.run(
        [sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(running_stack.port), "user", "create",
         "--username", "emoji-user", "--password-stdin"], input=password + "\n", capture_output=True, text=True,
        cwd=ROOT, timeout=60)
    assert created.returncode == 0, created.stderr
    rsa_text, sm2_text = node([
        {"type": "rsa", "publicKey": system["rsa"]["publicKey"], "plaintext": password},
        {"type": "sm2", "publicKey": system["sm2"]["publicKey"], "plaintext": password, "cipherMode": 1},
    ])
    assert login(running_stack, rsa_text, "rsa", username="emoji-user")[0] == 200  # arrives as CESU-8
    assert login(running_stack, sm2_text, "sm2", username="emoji-user")[0] == 200  # arrives as UTF-8


def _flip_hex(text: str, index: int) -> str:
    return text[:index] + format(int(text[index], 16) ^ 1, "x") + text[index + 1:]


def test_tampered_and_foreign_ciphertexts_are_invalid_grant(running_stack, system, node):
    from oidc_core.keys.jwk import generate_rsa_private_key_pem
    from oidc_core.passwords.decryption import rsa, sm2

    foreign_rsa = rsa.public_key_pem(rsa.load_private_key(generate_rsa_private_key_pem()))
    foreign_sm2 = sm2.generate_private_key().public_key_hex
    good_sm2, wrong_key_sm2, good_rsa, wrong_key_rsa = node([
        {"type": "sm2", "publicKey": system["sm2"]["publicKey"], "plaintext": "demo-password", "cipherMode": 1},
        {"type": "sm2", "publicKey": foreign_sm2, "plaintext": "demo-password", "cipherMode": 1},
        {"type": "rsa", "publicKey": system["rsa"]["publicKey"], "plaintext": "demo-password"},
        {"type": "rsa", "publicKey": foreign_rsa, "plaintext": "demo-password"},
    ])
    c3_start = 128  # C1 is 64 bytes = 128 hex characters, then C3
    cases = {
        "sm2 tampered C3": (_flip_hex(good_sm2, c3_start + 5), "sm2"),
        "sm2 tampered C2": (_flip_hex(good_sm2, len(good_sm2) - 1), "sm2"),
        "sm2 wrong key": (wrong_key_sm2, "sm2"),
        "sm2 truncated": (good_sm2[:-2], "sm2"),
        "sm2 C1 off the curve": (_flip_hex(good_sm2, 3), "sm2"),
        "sm2 garbage": ("zz" * 120, "sm2"),
        "rsa wrong key": (wrong_key_rsa, "rsa"),
        "rsa truncated": (good_rsa[:40], "rsa"),
        "rsa garbage": ("!!!!", "rsa"),
        "rsa sent as sm2": (good_rsa, "sm2"),
        "sm2 sent as rsa": (good_sm2, "rsa"),
        "plain password declared rsa": ("demo-password", "rsa"),
    }
    for name, (ciphertext, encrypt_type) in cases.items():
        status, body = login(running_stack, ciphertext, encrypt_type)
        assert (status, body) == (400, INVALID_CREDENTIALS), name
        # A good login after each: it resets the lockout count, so twelve failures in a row cannot lock the demo
        # user of the shared stack (and this stays a test of decryption, not of lockout).
        assert login(running_stack, good_sm2, "sm2")[0] == 200, name
    assert login(running_stack, good_rsa, "rsa")[0] == 200
