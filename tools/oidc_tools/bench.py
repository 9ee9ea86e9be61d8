"""`make bench`: what a login costs on this machine, figure by figure, each next to the Argon2id verification that
dominates it. Medians of repeated runs; nothing here asserts a threshold (timing belongs in figures, not tests).

It prints a Markdown table, the one README's "Working on it" shows (pasted as printed; a test checks that the README's
rows are the ones printed here). Cold starts have no ratio: an import is not made of hash verifications.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import statistics
import sys
import time
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization

from oidc_core import passwords
from oidc_core.config import OWASP_MINIMUM_ARGON2
from oidc_core.jwk import generate_rsa_private_key_pem
from oidc_core.password_decryption import rsa as rsa_passwords
from oidc_core.password_decryption import sm2 as sm2_passwords
from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

PASSWORD = "correct horse battery staple"

ARGON2 = "Argon2id verify (m=19456 KiB, t=2, p=1)"
PRIMITIVES = (ARGON2, "RS256 sign, one JWT (RSA-2048)", "RSA-2048 PKCS#1 v1.5 password decrypt",
              "RSA-2048 OAEP-SHA256 password decrypt", "SM2 password decrypt (C1C3C2)")
LOGINS = ("login, plain password", "login, RSA-encrypted password (incl. client-side encrypt)",
          "login, SM2-encrypted password (incl. client-side encrypt)")
# Every way a login fails, side by side: they answer alike and should cost alike (only a lock skips the hash).
FAILURES = ("failed login: wrong password", "failed login: unknown user", "failed login: blocked user",
            "failed login: undecryptable password", "failed login: locked account")
# Lockout and per-IP throttling would stop a run that fails the same login over and over: thresholds no run reaches,
# so every wrong password still pays what one pays in production before a lock (the counters' writes included).
NO_LOCKOUT = {"LockoutPairThreshold": "1000000000", "LockoutUserThreshold": "1000000000",
              "IpFailureThreshold": "1000000000"}


def cold_start_label(function: str) -> str:
    return f"cold start: import the {function} handler"


def labels() -> list[str]:
    """The rows `make bench` prints, in order."""
    from oidc_tools import template

    return [*PRIMITIVES, *LOGINS, *FAILURES,
            *(cold_start_label(name) for name in template.functions(template.load()))]


def median_ms(function, repeat: int) -> float:
    function()  # warm-up: first-call costs (imports, caches) are not what we measure
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def primitives() -> tuple[list[tuple[str, float]], float]:
    stored = passwords.hash_password(PASSWORD, OWASP_MINIMUM_ARGON2)
    argon2 = median_ms(lambda: passwords.verify_password(PASSWORD, stored), 15)
    signing_key = serialization.load_pem_private_key(generate_rsa_private_key_pem().encode(), password=None)
    claims = {"sub": "s", "iss": "https://auth.example.com/oidc", "aud": "app", "iat": 0, "exp": 3600}
    rs256 = median_ms(lambda: jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": "k"}), 50)

    rsa_key = rsa_passwords.load_private_key(generate_rsa_private_key_pem(2048))
    pkcs1 = rsa_encrypt(PASSWORD, rsa_key.public_key())
    oaep = rsa_encrypt(PASSWORD, rsa_key.public_key(), oaep=True)
    sm2_key = sm2_passwords.generate_private_key()
    sm2_text = sm2_encrypt(PASSWORD.encode(), sm2_key.public_key_hex)
    return list(zip(PRIMITIVES, (
        argon2,
        rs256,
        median_ms(lambda: rsa_passwords.decrypt_password(pkcs1, rsa_key, rsa_passwords.PKCS1_V15), 50),
        median_ms(lambda: rsa_passwords.decrypt_password(oaep, rsa_key, rsa_passwords.OAEP_SHA256), 50),
        median_ms(lambda: sm2_passwords.decrypt_password(sm2_text, sm2_key), 30),
    ))), argon2


def whole_requests() -> list[tuple[str, float]]:
    """A warm TokenFunction container answering password grants, DynamoDB and Secrets Manager emulated in process by
    moto: no network latency to AWS, but moto's own request handling (a few ms per call) is in the figure."""
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    from oidc_tools import template
    from oidc_tools.lambda_events import LambdaContext, http_api_event
    from oidc_tools.local_stack import load_handler
    from oidc_tools.operations import create_client, create_user
    from oidc_tools.provision import provision

    with mock_aws():
        provisioned = provision(template.load(), {"IssuerUrl": "https://auth.example.com/oidc", **NO_LOCKOUT})
        os.environ.update(provisioned.environments["TokenFunction"])
        create_client(provisioned.target, "bench", "bench-secret")
        create_user(provisioned.target, PASSWORD, username="bench")
        create_user(provisioned.target, PASSWORD, username="blocked", blocked=True)
        locked = create_user(provisioned.target, PASSWORD, username="locked")
        _lock(provisioned.target.tokens_table, f"sub:{locked.sub}")
        handler = load_handler(template.functions(template.load())["TokenFunction"])
        import json

        import boto3

        public_document = boto3.client("secretsmanager").get_secret_value(
            SecretId=provisioned.target.public_keys_secret_id)["SecretString"]
        published = json.loads(public_document)["password_encryption"]
        rsa_public = serialization.load_pem_public_key(published["rsa"]["public_key_pem"].encode())

        def login(password: str, encrypt_type: str, expected: int = 200, username: str = "bench"):
            form = {"grant_type": "password", "client_id": "bench", "client_secret": "bench-secret",
                    "username": username, "password": password, "password_encrypt_type": encrypt_type}
            event = http_api_event("POST", "/oidc/token", route_key="POST /oidc/token", body=urlencode(form).encode(),
                                   headers=[("content-type", "application/x-www-form-urlencoded")])
            response = handler(event, LambdaContext("TokenFunction"))
            assert response["statusCode"] == expected, response

        def rsa_login():
            login(rsa_encrypt(PASSWORD, rsa_public), "rsa")

        def sm2_login():
            login(sm2_encrypt(PASSWORD.encode(), published["sm2"]["public_key_hex"]), "sm2")

        return list(zip((*LOGINS, *FAILURES), (
            median_ms(lambda: login(PASSWORD, "none"), 20),
            median_ms(rsa_login, 20),
            median_ms(sm2_login, 20),
            median_ms(lambda: login("wrong", "none", 400), 20),
            median_ms(lambda: login(PASSWORD, "none", 400, username="nobody"), 20),
            median_ms(lambda: login(PASSWORD, "none", 400, username="blocked"), 20),
            median_ms(lambda: login("not a ciphertext", "rsa", 400), 20),
            median_ms(lambda: login(PASSWORD, "none", 400, username="locked"), 20),
        )))


def _lock(tokens_table: str, account: str) -> None:
    """Lock an account from the bench's address (127.0.0.1) for a day, as its pair counter would after failures."""
    import time

    import boto3

    from oidc_core import lockout

    pair_key, _ = lockout.keys(account, "127.0.0.1")
    boto3.client("dynamodb").put_item(TableName=tokens_table, Item={
        "pk": {"S": pair_key}, "attempts": {"N": NO_LOCKOUT["LockoutPairThreshold"]},
        "locked_until": {"N": str(int(time.time()) + 86400)}})


_COLD_IMPORT = """
import importlib.util, sys, time
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print((time.perf_counter() - started) * 1000)
"""


def cold_imports() -> list[tuple[str, float]]:
    """Init-phase cost of each handler module: a fresh interpreter importing it as Lambda would (tracing on)."""
    import subprocess
    import sys

    from oidc_tools import template

    environment = {**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "bench", "POWERTOOLS_TRACE_DISABLED": "false",
                   "POWERTOOLS_METRICS_NAMESPACE": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    rows = []
    for name, function in template.functions(template.load()).items():
        samples = [
            float(subprocess.run([sys.executable, "-c", _COLD_IMPORT, str(function.code_uri / "app.py")],
                                 env=environment, capture_output=True, text=True, check=True).stdout)
            for _ in range(5)
        ]
        rows.append((cold_start_label(name), statistics.median(samples)))
    return rows


def markdown(rows: list[tuple[str, float]], argon2: float) -> str:
    """The table: milliseconds, and for what a request pays per hash (not cold imports) the ratio to one Argon2id
    verification."""
    lines = [f"| median on this machine ({platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}) | ms | × Argon2id verify |", "|---|---:|---:|"]
    for name, value in rows:
        ratio = "" if name.startswith("cold start") else f"{value / argon2:.2f}"
        lines.append(f"| {name} | {value:.1f} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    rows, argon2 = primitives()
    with contextlib.redirect_stdout(io.StringIO()):  # the function's own log lines are not figures
        rows += whole_requests()
    rows += cold_imports()
    assert [name for name, _ in rows] == labels(), "labels() must name the rows as they are measured"
    print(markdown(rows, argon2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
