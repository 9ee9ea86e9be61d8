"""Passwords encrypted by the JavaScript clients to password keys held in KMS log in.

The stack runs with RsaPasswordKeySource and Sm2PasswordKeySource = KMS on the faithful KMS fake
(tools/oidc_tools/local/faithful_kms.py, a FAKE that does the real cryptography); the ciphertexts come from encrypt.mjs
(node-forge and JSEncrypt OAEP, sm-crypto), encrypted to what /api/v3/system publishes, as a client would.
"""

from __future__ import annotations

import pytest

from oidc_tools.stack.operations import create_user

UNICODE_PASSWORD = "密码😀 pässwörd"
ASCII_PASSWORD = "P@ssw0rd! with spaces"


@pytest.fixture
def stack_parameters(request):
    return {"RsaPasswordKeySource": "KMS", "Sm2PasswordKeySource": "KMS",
            "Sm2CipherMode": getattr(request, "param", "c1c3c2")}


@pytest.fixture
def users(stack):
    create_user(stack.target, UNICODE_PASSWORD, username="unicode")
    create_user(stack.target, ASCII_PASSWORD, username="ascii")


def _log_in(call_token, password_form, username, ciphertext, encrypt_type):
    reply = call_token(password_form(username=username, password=ciphertext, password_encrypt_type=encrypt_type))
    return reply.status, reply


def test_rsa_oaep_from_node_forge_and_jsencrypt(node, call_token, call_discovery, password_form, client, users):
    published = call_discovery("/api/v3/system").json()
    assert published["rsa"]["padding"] == "oaep-sha256"
    pem = published["rsa"]["publicKey"]
    forge, jsencrypt = node([{"type": "rsa-oaep", "publicKey": pem, "plaintext": UNICODE_PASSWORD},
                             {"type": "rsa-oaep-jsencrypt", "publicKey": pem, "plaintext": ASCII_PASSWORD}])
    assert _log_in(call_token, password_form, "unicode", forge, "rsa")[0] == 200
    # JSEncrypt's encryptOAEP is right for ASCII passwords only (test_js_encryption_decrypts.py says why).
    assert _log_in(call_token, password_form, "ascii", jsencrypt, "rsa")[0] == 200


@pytest.mark.parametrize("stack_parameters, cipher_mode", [("c1c3c2", 1), ("c1c2c3", 0)],
                         indirect=["stack_parameters"], ids=["C1C3C2", "C1C2C3"])
def test_sm_crypto_in_the_published_cipher_mode(node, call_token, call_discovery, password_form, client, users,
                                                 cipher_mode):
    published = call_discovery("/api/v3/system").json()["sm2"]
    assert published["cipherMode"] == cipher_mode
    ciphertext, = node([{"type": "sm2", "publicKey": published["publicKey"], "plaintext": UNICODE_PASSWORD,
                         "cipherMode": published["cipherMode"]}])
    status, reply = _log_in(call_token, password_form, "unicode", ciphertext, "sm2")
    assert status == 200, reply
