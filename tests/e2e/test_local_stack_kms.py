"""`make dev KEYS=kms` over real HTTP: every key held in the (emulated) KMS, on the faithful KMS fake
(tools/oidc_tools/local/faithful_kms.py, a FAKE that does the real cryptography), and oidc-admin in that mode."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlencode

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from oidc_core.keys.jwk import public_signing_jwk
from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt
from stack_process import ROOT, RunningStack

KMS_KEYS = ("SigningKeySource=KMS", "RsaPasswordKeySource=KMS", "Sm2PasswordKeySource=KMS")
DEMO_LOGIN = {"grant_type": "password", "client_id": "demo-client", "client_secret": "demo-secret",
              "username": "demo", "password": "demo-password"}


def make_dev_arguments() -> tuple[str, ...]:
    """The local stack's arguments as `make dev KEYS=kms` passes them."""
    dry_run = subprocess.run(["make", "--no-print-directory", "-n", "dev", "KEYS=kms"], capture_output=True,
                             text=True, cwd=ROOT, timeout=120, check=True).stdout.splitlines()[-1]
    arguments = dry_run.split("oidc_tools.local.stack", 1)[1].split()
    assert arguments[:2] == ["--port", "3000"] and arguments[2::2] == ["--parameter"] * 3
    assert tuple(arguments[3::2]) == KMS_KEYS
    return tuple(arguments[2:])


@pytest.fixture(scope="module")
def kms_stack():
    stack = RunningStack(arguments=make_dev_arguments())
    yield stack
    stack.stop()


def token(stack, form: dict):
    return stack.json("POST", "/oidc/token", urlencode(form).encode(),
                      {"Content-Type": "application/x-www-form-urlencoded"})


def emulated_kms(stack):
    return boto3.client("kms", endpoint_url=stack.state["endpoint_url"], region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def test_the_banner_says_where_the_keys_are(kms_stack):
    printed = "".join(kms_stack.output)
    assert "keys:      signing, RSA, SM2 in KMS (the faithful fake" in printed


def test_tokens_signed_in_kms_verify_with_a_standard_jwks_client(kms_stack):
    _, _, metadata = kms_stack.json("GET", "/oidc/.well-known/openid-configuration")
    status, _, body = token(kms_stack, {**DEMO_LOGIN, "scope": "openid profile"})
    assert status == 200, body
    signing_key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(body["id_token"])
    claims = jwt.decode(body["id_token"], signing_key.key, algorithms=["RS256"], audience="demo-client",
                        issuer=metadata["issuer"])
    assert claims["preferred_username"] == "demo"
    # The kid is the thumbprint of the KMS key: the token was signed there, not with a key from a secret.
    arn = kms_stack.state["environments"]["TokenFunction"]["SIGNING_KMS_KEY_ID"]
    public_key = serialization.load_der_public_key(emulated_kms(kms_stack).get_public_key(KeyId=arn)["PublicKey"])
    assert signing_key.key_id == public_signing_jwk(public_key)["kid"]


def test_encrypted_passwords_log_in_with_the_kms_keys(kms_stack):
    _, _, system = kms_stack.json("GET", "/api/v3/system")
    assert system["rsa"]["padding"] == "oaep-sha256"
    rsa_public = serialization.load_pem_public_key(system["rsa"]["publicKey"].encode())
    for encrypt_type, ciphertext in (("rsa", rsa_encrypt("demo-password", rsa_public, oaep=True)),
                                     ("sm2", sm2_encrypt(b"demo-password", system["sm2"]["publicKey"]))):
        status, _, body = token(kms_stack, {**DEMO_LOGIN, "password": ciphertext,
                                            "password_encrypt_type": encrypt_type})
        assert status == 200, (encrypt_type, body)


def test_oidc_admin_shows_and_does_not_rotate_kms_keys(kms_stack):
    def admin(*arguments, status=0):
        completed = subprocess.run([sys.executable, "-m", "oidc_tools.admin", "--local", "--port",
                                    str(kms_stack.port), "keys", *arguments], capture_output=True, text=True,
                                   cwd=ROOT, timeout=120)
        assert completed.returncode == status, completed.stderr
        return json.loads(completed.stdout) if status == 0 else completed.stderr

    environment = kms_stack.state["environments"]["TokenFunction"]
    shown = admin("show")
    assert shown["signing_key"]["held_in"] == "kms" and shown["signing_key"]["key"] == environment["SIGNING_KMS_KEY_ID"]
    _, _, jwks = kms_stack.json("GET", "/oidc/.well-known/jwks.json")
    assert shown["signing_key"]["kid"] == jwks["keys"][0]["kid"]
    _, _, system = kms_stack.json("GET", "/api/v3/system")
    assert shown["sm2_password_key"] == {"held_in": "kms", "key": environment["SM2_PASSWORD_KMS_KEY_ID"],
                                         "public_key": system["sm2"]["publicKey"],
                                         "rotation": shown["sm2_password_key"]["rotation"]}
    assert shown["rsa_password_key"]["padding"] == "oaep-sha256"

    # every key is in KMS, where nothing rotates: an error, not a success that did nothing
    refused = admin("rotate", status=1)
    assert refused.splitlines() == ["oidc-admin: nothing to rotate: the signing key and the password keys are held "
                                    "in KMS, where asymmetric KMS keys do not rotate"]
    _, _, after = kms_stack.json("GET", "/oidc/.well-known/jwks.json")
    assert after["keys"][0] == jwks["keys"][0]  # still the KMS key, and it still signs
    assert token(kms_stack, DEMO_LOGIN)[0] == 200
