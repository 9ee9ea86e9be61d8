"""Keys held in KMS (SigningKeySource, RsaPasswordKeySource, Sm2PasswordKeySource = KMS) through the real handlers.

moto cannot do these calls (design.md: DIGEST signing, asymmetric Decrypt, SM2 keys), so the stack runs on the
faithful KMS fake, tools/oidc_tools/local/faithful_kms.py: a FAKE that does the real cryptography. What must hold whatever
the fake does is checked against the public keys only: tokens verify with the published JWKS and with the key that
kms:GetPublicKey returns, and passwords encrypted to what /api/v3/system publishes log in.
"""

from __future__ import annotations

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from helpers import CLIENT_ID, PASSWORD
from oidc_core import aws
from oidc_core.keys.jwk import public_signing_jwk
from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

ALL_KEYS_IN_KMS = {"SigningKeySource": "KMS", "RsaPasswordKeySource": "KMS", "Sm2PasswordKeySource": "KMS"}
INVALID_CREDENTIALS = {"error": "invalid_grant", "error_description": "invalid credentials provided"}


@pytest.fixture
def stack_parameters():
    return ALL_KEYS_IN_KMS


def kms_public_key(key_arn: str):
    return serialization.load_der_public_key(boto3.client("kms").get_public_key(KeyId=key_arn)["PublicKey"])


def kms_signed(reply, stack, user) -> dict:
    """The answer's tokens, verified with the public key KMS gives for the signing key (so signed by that key, whatever
    the JWKS says), for this user; returns the access token's claims."""
    assert reply.status == 200, reply
    public_key = kms_public_key(stack.environments["TokenFunction"]["SIGNING_KMS_KEY_ID"])
    claims = jwt.decode(reply.json()["access_token"], public_key, algorithms=["RS256"], audience=CLIENT_ID)
    assert claims["sub"] == user.sub
    if "id_token" in reply.json():
        id_claims = jwt.decode(reply.json()["id_token"], public_key, algorithms=["RS256"], audience=CLIENT_ID)
        assert id_claims["sub"] == user.sub
    return claims


@pytest.fixture
def kms_calls():
    """The KMS calls the functions make, with their parameters, seen through botocore's event hooks."""
    calls = []

    def record(params, model, **_):
        calls.append((model.name, params))

    aws.client("kms").meta.events.register("provide-client-params.kms.*", record)
    return calls


def test_tokens_are_signed_in_kms_and_verify_with_the_published_jwks(call_token, call_discovery, password_form,
                                                                    stack, client, user, kms_calls):
    reply = call_token(password_form(scope="openid profile"))
    assert reply.status == 200, reply
    signing_key_arn = stack.environments["TokenFunction"]["SIGNING_KMS_KEY_ID"]
    published = call_discovery("/oidc/.well-known/jwks.json").json()["keys"]
    expected = public_signing_jwk(kms_public_key(signing_key_arn))  # its kid: the RFC 7638 thumbprint
    assert published[0] == expected
    for token, audience in ((reply.json()["access_token"], CLIENT_ID), (reply.json()["id_token"], CLIENT_ID)):
        header = jwt.get_unverified_header(token)
        assert header["kid"] == expected["kid"] and header["alg"] == "RS256"
        verified = jwt.decode(token, jwt.PyJWK(published[0]).key, algorithms=["RS256"], audience=audience)
        assert verified["sub"] == user.sub

    signs = [params for name, params in kms_calls if name == "Sign"]
    assert len(signs) == 2  # the access token and the id token
    for params in signs:
        assert params["KeyId"] == signing_key_arn
        assert params["MessageType"] == "DIGEST" and len(params["Message"]) == 32
        assert params["SigningAlgorithm"] == "RSASSA_PKCS1_V1_5_SHA_256"


def test_a_warm_container_reads_the_public_key_once(call_token, password_form, stack, client, user, kms_calls):
    for _ in range(3):
        kms_signed(call_token(password_form()), stack, user)
    names = [name for name, _ in kms_calls]
    assert names.count("GetPublicKey") == 1 and names.count("Sign") == 3 * 2  # an access and an id token each


def test_the_signing_secret_is_not_read(call_token, password_form, stack, client, user):
    """TokenFunction's role may not read it in KMS mode (tests/unit pins the policy); the code must not need to."""
    boto3.client("secretsmanager").delete_secret(SecretId=stack.target.signing_key_secret_id,
                                                 ForceDeleteWithoutRecovery=True)
    kms_signed(call_token(password_form()), stack, user)


def test_session_function_verifies_kms_signed_access_tokens(call_token, call_session, password_form, stack, client,
                                                            user):
    answer = call_token(password_form(scope="openid profile"))
    kms_signed(answer, stack, user)
    access_token = answer.json()["access_token"]
    reply = call_session("GET", "/oidc/me", headers={"authorization": f"Bearer {access_token}"})
    assert reply.status == 200, reply
    assert reply.json()["sub"] == user.sub


def test_system_publishes_the_kms_password_keys(call_discovery, stack):
    published = call_discovery("/api/v3/system").json()
    environment = stack.environments["DiscoveryFunction"]
    rsa_public = kms_public_key(environment["RSA_PASSWORD_KMS_KEY_ID"])
    assert published["rsa"]["publicKey"] == rsa_public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert published["rsa"]["padding"] == "oaep-sha256"  # KMS decrypts OAEP only
    spki = boto3.client("kms").get_public_key(KeyId=environment["SM2_PASSWORD_KMS_KEY_ID"])["PublicKey"]
    assert published["sm2"]["publicKey"] == spki[-65:].hex() and published["sm2"]["publicKey"].startswith("04")


def _published(call_discovery) -> dict:
    return call_discovery("/api/v3/system").json()


def test_passwords_encrypted_to_the_kms_keys_log_in(call_token, call_discovery, password_form, stack, client, user,
                                                    kms_calls):
    published = _published(call_discovery)
    rsa_public = serialization.load_pem_public_key(published["rsa"]["publicKey"].encode())
    for encrypt_type, ciphertext in (("rsa", rsa_encrypt(PASSWORD, rsa_public, oaep=True)),
                                     ("sm2", sm2_encrypt(PASSWORD.encode(), published["sm2"]["publicKey"]))):
        kms_signed(call_token(password_form(password=ciphertext, password_encrypt_type=encrypt_type)), stack, user)
    decrypts = [params["EncryptionAlgorithm"] for name, params in kms_calls if name == "Decrypt"]
    assert decrypts == ["RSAES_OAEP_SHA_256", "SM2PKE"]


def test_what_kms_cannot_decrypt_answers_like_a_wrong_password(call_token, call_discovery, password_form, client,
                                                               user, kms_calls):
    published = _published(call_discovery)
    rsa_public = serialization.load_pem_public_key(published["rsa"]["publicKey"].encode())
    sm2_ciphertext = sm2_encrypt(PASSWORD.encode(), published["sm2"]["publicKey"])
    tampered = sm2_ciphertext[:-2] + format(int(sm2_ciphertext[-2:], 16) ^ 1, "02x")  # C2's last byte: C3 fails
    attempts = {
        "rsa, wrong password": ("rsa", rsa_encrypt("wrong", rsa_public, oaep=True)),
        "rsa, PKCS#1 v1.5 (not what the key takes)": ("rsa", rsa_encrypt(PASSWORD, rsa_public)),
        "rsa, not base64": ("rsa", "not a ciphertext"),
        "sm2, wrong password": ("sm2", sm2_encrypt(b"wrong", published["sm2"]["publicKey"])),
        "sm2, tampered": ("sm2", tampered),
        "sm2, not hex": ("sm2", "zz"),
    }
    for name, (encrypt_type, ciphertext) in attempts.items():
        reply = call_token(password_form(password=ciphertext, password_encrypt_type=encrypt_type))
        assert (reply.status, reply.json()) == (400, INVALID_CREDENTIALS), name
    # What cannot be a ciphertext never reaches KMS: two of the six attempts made no Decrypt.
    assert [name for name, _ in kms_calls].count("Decrypt") == 4


def test_a_disabled_kms_key_is_503_with_retry_after(call_token, password_form, stack, client, user):
    key_id = stack.environments["TokenFunction"]["SIGNING_KMS_KEY_ID"].rsplit("/", 1)[1]  # moto's DisableKey: no ARN
    boto3.client("kms").disable_key(KeyId=key_id)
    reply = call_token(password_form())
    assert reply.status == 503 and reply.json()["error"] == "temporarily_unavailable", reply
    assert int(reply.headers["retry-after"]) > 0


@pytest.mark.parametrize("stack_parameters", [{"Sm2PasswordKeySource": "KMS"}], ids=["only-sm2-in-kms"])
def test_one_key_in_kms_and_the_others_from_secrets_manager(call_token, call_discovery, password_form, stack,
                                                           client, user, kms_calls):
    published = _published(call_discovery)
    assert published["rsa"]["padding"] == "pkcs1v15"  # the RSA key is still the secret's
    rsa_public = serialization.load_pem_public_key(published["rsa"]["publicKey"].encode())
    kms_calls.clear()  # DiscoveryFunction's GetPublicKey of the SM2 key
    for encrypt_type, ciphertext in (("rsa", rsa_encrypt(PASSWORD, rsa_public)),
                                     ("sm2", sm2_encrypt(PASSWORD.encode(), published["sm2"]["publicKey"]))):
        reply = call_token(password_form(password=ciphertext, password_encrypt_type=encrypt_type))
        assert reply.status == 200, (encrypt_type, reply)
        jwks = call_discovery("/oidc/.well-known/jwks.json").json()
        assert jwt.decode(reply.json()["access_token"], jwt.PyJWK(jwks["keys"][0]).key, algorithms=["RS256"],
                          audience=CLIENT_ID)["sub"] == user.sub  # signed with the secret's key, as published
    assert [name for name, _ in kms_calls] == ["Decrypt"]  # SM2 only; signing and RSA stay with the secrets


def test_the_key_source_bench_counts_the_calls_of_each_source():
    """`make bench`'s key-source table, run once per request (its own processes and emulators): the calls it counts
    are what a warm container makes, so they are exact, whatever the machine's speed."""
    import subprocess
    import sys

    printed = subprocess.run([sys.executable, "-m", "oidc_tools.bench", "--quick", "--only", "key_sources"],
                             capture_output=True, text=True, timeout=600, check=True).stdout
    rows = {line.split("|")[1].strip(): line.split("|")[5].strip()
            for line in printed.splitlines() if line.startswith("| ") and ": " in line.split("|")[1]}
    assert {calls for request, calls in rows.items() if request.startswith("Secrets Manager:")} == {"none"}
    assert rows["KMS: password grant, plain password"] == "2 kms:Sign"
    assert rows["KMS: password grant, RSA-encrypted password"] == "1 kms:Decrypt, 2 kms:Sign"
    assert rows["KMS: password grant, SM2-encrypted password"] == "1 kms:Decrypt, 2 kms:Sign"
    assert rows["KMS: refresh grant (rotation)"] == "2 kms:Sign"
