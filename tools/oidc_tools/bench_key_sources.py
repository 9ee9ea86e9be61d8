"""`make bench`, key sources: what holding a key in KMS instead of Secrets Manager costs each request.

For each key source a warm TokenFunction answers password grants (plain, RSA- and SM2-encrypted) and refreshes
against moto in this process, with the faithful KMS fake (tools/oidc_tools/faithful_kms.py) for KMS. botocore's
event hooks count the Secrets Manager and KMS calls each request makes once the container is warm; the price of those
calls comes from the dated constants below. The milliseconds are the handler's wall time on the emulator: the KMS
fake does the same RSA or SM2 work in this process that KMS does on its side, but no network, so each KMS call costs
one more sequential round trip in AWS (a few ms in-region) that this figure cannot show; the calls column counts them.
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager
from urllib.parse import urlencode

PASSWORD = "correct horse battery staple"

# AWS list prices for us-east-1 as this project recorded them on PRICES_AS_OF, from https://aws.amazon.com/kms/pricing/
# and https://aws.amazon.com/secrets-manager/pricing/ (the bench does not re-check them). China Regions, where SM2
# keys exist, are priced in CNY.
PRICES_AS_OF = "2026-11-27"
KMS_RSA_2048_PER_10000 = 0.03  # USD per 10,000 requests with RSA 2048 keys (Sign, Decrypt, GetPublicKey)
KMS_OTHER_ASYMMETRIC_PER_10000 = 0.15  # USD per 10,000 asymmetric requests with other keys
KMS_KEY_PER_MONTH = 1.00  # USD per KMS key per month
SECRETS_MANAGER_PER_10000 = 0.05  # USD per 10,000 API calls
SECRET_PER_MONTH = 0.40  # USD per secret per month

SOURCES = {
    "Secrets Manager (cached per container)": {},
    "KMS (every key)": {"SigningKeySource": "KMS", "RsaPasswordKeySource": "KMS", "Sm2PasswordKeySource": "KMS"},
}
REQUESTS = ("password grant, plain password", "password grant, RSA-encrypted", "password grant, SM2-encrypted",
            "refresh grant")
NO_LOCKOUT = {"LockoutPairThreshold": "1000000000", "LockoutUserThreshold": "1000000000",
              "IpFailureThreshold": "1000000000"}


@contextmanager
def _counted_calls():
    """Counts of Secrets Manager and KMS operations made through oidc_core's clients, by botocore's before-call event."""
    from oidc_core import aws

    counts: dict[str, int] = {}

    def count(model, **_):
        name = f"{model.service_model.service_name}:{model.name}"
        counts[name] = counts.get(name, 0) + 1

    clients = [aws.client(service) for service in ("secretsmanager", "kms")]
    for client in clients:
        client.meta.events.register("before-call", count)
    try:
        yield counts
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", count)


def _kms_price(operations: dict[str, float]) -> float:
    """USD per 10,000 requests for the KMS calls one request makes (RSA 2048 keys at one price, SM2 at the other)."""
    return sum(calls * (KMS_OTHER_ASYMMETRIC_PER_10000 if operation == "kms:Decrypt (SM2)" else KMS_RSA_2048_PER_10000)
               for operation, calls in operations.items() if operation.startswith("kms:"))


def measure(parameters: dict, repeat: int) -> dict[str, tuple[float, dict[str, float]]]:
    """{request: (median ms, {operation: calls per request})} for a warm TokenFunction with these parameters."""
    from cryptography.hazmat.primitives import serialization
    from moto import mock_aws

    from oidc_core import aws, config, keys
    from oidc_tools import template
    from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt
    from oidc_tools.emulator import fix_moto
    from oidc_tools.lambda_events import LambdaContext, http_api_event
    from oidc_tools.local_stack import load_handler
    from oidc_tools.operations import create_client, create_user
    from oidc_tools.provision import provision

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    fix_moto()
    with mock_aws():
        config.settings.cache_clear()
        keys.clear_cache()
        aws.client.cache_clear()
        cfn = template.load()
        provisioned = provision(cfn, {"IssuerUrl": "https://auth.example.com/oidc", **NO_LOCKOUT, **parameters})
        for name in ("SIGNING_KMS_KEY_ID", "RSA_PASSWORD_KMS_KEY_ID", "SM2_PASSWORD_KMS_KEY_ID"):
            os.environ.pop(name, None)
        for environment in provisioned.environments.values():  # one process: the functions' merged environment
            os.environ.update(environment)
        config.settings.cache_clear()
        create_client(provisioned.target, "bench", "bench-secret")
        create_user(provisioned.target, PASSWORD, username="bench")
        token = load_handler(template.functions(cfn)["TokenFunction"])
        discovery = load_handler(template.functions(cfn)["DiscoveryFunction"])
        system = http_api_event("GET", "/api/v3/system", route_key="GET /api/v3/system")
        import json

        published = json.loads(discovery(system, LambdaContext("DiscoveryFunction"))["body"])
        rsa_public = serialization.load_pem_public_key(published["rsa"]["publicKey"].encode())
        oaep = published["rsa"]["padding"] == "oaep-sha256"

        def call(form: dict) -> dict:
            event = http_api_event("POST", "/oidc/token", route_key="POST /oidc/token",
                                   body=urlencode({"client_id": "bench", "client_secret": "bench-secret", **form}).encode(),
                                   headers=[("content-type", "application/x-www-form-urlencoded")])
            response = token(event, LambdaContext("TokenFunction"))
            assert response["statusCode"] == 200, response
            return json.loads(response["body"])

        def login(**form):
            return call({"grant_type": "password", "username": "bench", "scope": "openid offline_access", **form})

        refresh_token = [login(password=PASSWORD)["refresh_token"]]

        def refresh():
            refresh_token[0] = call({"grant_type": "refresh_token", "refresh_token": refresh_token[0]})["refresh_token"]

        requests = {
            REQUESTS[0]: lambda: login(password=PASSWORD),
            REQUESTS[1]: lambda: login(password=rsa_encrypt(PASSWORD, rsa_public, oaep=oaep),
                                       password_encrypt_type="rsa"),
            REQUESTS[2]: lambda: login(password=sm2_encrypt(PASSWORD.encode(), published["sm2"]["publicKey"]),
                                       password_encrypt_type="sm2"),
            REQUESTS[3]: refresh,
        }
        results = {}
        for name, request in requests.items():
            request()  # warm: the first call of a container fetches keys, which is not what a request pays
            samples = []
            with _counted_calls() as counts:
                for _ in range(repeat):
                    started = time.perf_counter()
                    request()
                    samples.append((time.perf_counter() - started) * 1000)
            per_request = {operation: calls / repeat for operation, calls in counts.items()}
            if name == REQUESTS[2] and "kms:Decrypt" in per_request:
                per_request["kms:Decrypt (SM2)"] = per_request.pop("kms:Decrypt")
            results[name] = (statistics.median(samples), per_request)
    return results


def table(repeat: int = 10) -> str:
    lines = [f"| key source | request | median ms (emulated, no network) | AWS calls per warm request | "
             f"KMS USD per 10,000 requests (prices of {PRICES_AS_OF}) |", "|---|---|---:|---|---:|"]
    for source, parameters in SOURCES.items():
        for request, (milliseconds, operations) in measure(parameters, repeat).items():
            calls = ", ".join(f"{count:g} {operation}" for operation, count in sorted(operations.items())) or "none"
            lines.append(f"| {source} | {request} | {milliseconds:.1f} | {calls} | {_kms_price(operations):.2f} |")
    lines.append("")
    lines.append(f"Fixed monthly cost: Secrets Manager 3 key secrets × "
                 f"${SECRET_PER_MONTH:.2f}, and one GetSecretValue per secret per container every KeyCacheSeconds "
                 f"(${SECRETS_MANAGER_PER_10000:.2f} per 10,000); KMS ${KMS_KEY_PER_MONTH:.2f} per key held there. "
                 f"SM2 keys exist only in AWS's China Regions, priced in CNY there (the SM2 row uses the USD rate "
                 f"of other asymmetric keys as a stand-in).")
    return "\n".join(lines)


if __name__ == "__main__":
    import contextlib
    import io
    import sys

    with contextlib.redirect_stdout(io.StringIO()):  # the functions' own log lines are not figures
        printed = table(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
    print(printed)
