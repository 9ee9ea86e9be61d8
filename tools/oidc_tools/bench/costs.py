"""What a request costs in Lambda and AWS: Argon2id against Lambda's memory size (its CPU share), the cost per
million requests at list prices, and the keys in KMS against Secrets Manager."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

from oidc_tools.bench.container import CLIENT_ID, CLIENT_SECRET, PASSWORD, Run, WarmContainer, memory_size
from oidc_tools.bench.emulated_aws import emulator
from oidc_tools.bench.report import (COLUMNS, COST, COST_TITLE, HTTP_API_REQUEST, KEY_SOURCE_REQUESTS, KEY_SOURCES,
                                     KEY_SOURCES_TITLE, KMS_KEY_MONTH, KMS_OTHER_ASYMMETRIC_REQUEST, KMS_REQUEST,
                                     LAMBDA_ARM64_GB_SECOND, LAMBDA_FULL_VCPU_MB, LAMBDA_REQUEST, MEMORY_SIZES,
                                     MEMORY_TITLE, PRICES_AS_OF, SECRET_MONTH, SECRETS_MANAGER_REQUEST,
                                     DYNAMODB_READ_REQUEST_UNIT, DYNAMODB_WRITE_REQUEST_UNIT, WARM, Table)

_DUTY_CYCLED = r"""
import sys, time
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
stored, repeat = sys.argv[1], int(sys.argv[2])
Argon2id.verify_phc_encoded(b"p", stored)
print("ready", flush=True)
sys.stdin.readline()
for _ in range(repeat):
    started = time.perf_counter()
    Argon2id.verify_phc_encoded(b"p", stored)
    print((time.perf_counter() - started) * 1000, flush=True)
"""

DUTY_PERIOD_SECONDS = 0.010


def argon2_wall_at_share(share: float, stored: str, repeat: int) -> float:
    """Median wall ms of an Argon2id verification in a process that may run `share` of each 10 ms period: this one
    stops and continues it (SIGSTOP, SIGCONT), as a CFS quota throttles a container that used its share."""
    process = subprocess.Popen([sys.executable, "-c", _DUTY_CYCLED, stored, str(repeat)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        results: list[float] = []

        def read() -> None:
            results.extend(float(line) for line in process.stdout)

        reader = threading.Thread(target=read)
        reader.start()
        process.stdin.write("go\n")
        process.stdin.flush()
        if share < 1:
            running, stopped = DUTY_PERIOD_SECONDS * share, DUTY_PERIOD_SECONDS * (1 - share)
            while process.poll() is None:
                time.sleep(running)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGSTOP)
                time.sleep(stopped)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGCONT)
        process.wait()
        reader.join()
        return statistics.median(results)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
            process.wait()


def memory_curve(run: Run) -> Table:
    from oidc_core.passwords import hashing
    from oidc_core.config import OWASP_MINIMUM_ARGON2

    stored = hashing.hash_password("p", OWASP_MINIMUM_ARGON2)
    full = argon2_wall_at_share(1.0, stored, run.repeat(7))
    template = run.warm_container().template
    chosen = memory_size(template)
    table = Table(MEMORY_TITLE, COLUMNS[MEMORY_TITLE])
    warm = run.warm[WARM[0]]
    cpu, wait = warm.cpu.median, max(0.0, warm.wall.median - warm.cpu.median)
    for memory in MEMORY_SIZES:
        share = min(1.0, memory / LAMBDA_FULL_VCPU_MB)
        measured = full if share >= 1 else argon2_wall_at_share(share, stored, run.repeat(3 if share < 0.2 else 5))
        run.memory_curve[memory] = measured
        duration = cpu * measured / full + wait
        cost = math.ceil(duration) / 1000 * memory / 1024 * LAMBDA_ARM64_GB_SECOND * 1e6 + LAMBDA_REQUEST * 1e6
        table.rows.append((f"{memory} MB", f"{share:.2f}", f"{measured:.1f}", f"{measured / full:.2f}",
                           f"{full / share:.1f}", f"{duration:.1f}", f"{cost:.2f}"))
    table.notes = [
        f"The template gives TokenFunction {chosen} MB. Estimated duration: the warm handler's CPU ({cpu:.1f} ms) "
        f"slowed as Argon2id is at that share, plus its measured wait on AWS ({wait:.1f} ms, emulated). Argon2id with "
        "p=1 runs on one thread: above 1,769 MB the second vCPU does not help it."]
    return table


def cost(run: Run) -> Table:
    template = run.warm_container().template
    memory = memory_size(template)
    table = Table(COST_TITLE, COLUMNS[COST_TITLE])
    share = min(1.0, memory / LAMBDA_FULL_VCPU_MB)
    full = run.argon2_full_core or 1.0
    slowdown = run.memory_curve.get(memory, full / share) / full if run.memory_curve else 1 / share
    for name, warm_name in zip(COST, (WARM[0], WARM[3]), strict=True):
        warm = run.warm[warm_name]
        billed = math.ceil(warm.cpu.median * slowdown + max(0.0, warm.wall.median - warm.cpu.median))
        reads, writes = warm.calls.capacity_units()
        kms = warm.calls.count("kms")
        lambda_cost = (billed / 1000 * memory / 1024 * LAMBDA_ARM64_GB_SECOND + LAMBDA_REQUEST) * 1e6
        api_cost = HTTP_API_REQUEST * 1e6
        dynamodb_cost = (reads * DYNAMODB_READ_REQUEST_UNIT + writes * DYNAMODB_WRITE_REQUEST_UNIT) * 1e6
        kms_cost = kms * KMS_REQUEST * 1e6
        table.rows.append((name, f"{billed} at {memory} MB", f"{lambda_cost:.2f}", f"{api_cost:.2f}",
                           f"{reads} / {writes}", f"{dynamodb_cost:.2f}", str(kms), f"{kms_cost:.2f}",
                           f"{lambda_cost + api_cost + dynamodb_cost + kms_cost:.2f}"))
    table.notes = [
        "Lambda duration: this machine's handler CPU slowed to the template's memory size by the measured Argon2id "
        "curve, plus the measured wait on the (emulated) AWS calls; arm64 Graviton and this machine differ, so it is "
        "an estimate. Request units as counted by the call log (KMS: 0 unless a KMS key mode is on)."]
    return table


def key_source_figures() -> None:
    """Run in a process of its own for one key source (a container instruments module-level functions, and an
    emulator holds one stack): reads {"parameters", "repeat"} on stdin, prints the key-source rows as JSON."""
    from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

    asked = json.loads(sys.stdin.read())
    rows = {}
    with emulator() as endpoint_url, contextlib.redirect_stdout(io.StringIO()):
        container = WarmContainer(endpoint_url, asked["parameters"])
        refresh = {"token": None}

        def keep_refresh_token(answer: dict) -> None:
            refresh["token"] = answer["refresh_token"]

        def form(password: str = PASSWORD, encrypt_type: str = "none"):
            return lambda: (container.password_form(password, encrypt_type), {"hashes": 0})

        container.measure(form(), 200, 0, after=keep_refresh_token)
        requests = {
            KEY_SOURCE_REQUESTS[0]: (form(), None),
            KEY_SOURCE_REQUESTS[1]: (form(rsa_encrypt(PASSWORD, container.rsa_public, oaep=container.rsa_oaep), "rsa"),
                                     None),
            KEY_SOURCE_REQUESTS[2]: (form(sm2_encrypt(PASSWORD.encode(), container.sm2_public_hex), "sm2"), None),
            KEY_SOURCE_REQUESTS[3]: (lambda: ({"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                               "client_secret": CLIENT_SECRET, "refresh_token": refresh["token"]},
                                              {"hashes": 0}), keep_refresh_token),
        }
        for name, (make_form, after) in requests.items():
            measured = container.measure(make_form, 200, asked["repeat"], after=after)
            key_calls = [call for call in measured.calls.calls if call["service"] in ("secretsmanager", "kms")]
            counted: dict[str, int] = {}
            for call in key_calls:
                operation = f"{call['service']}:{call['operation']}"
                counted[operation] = counted.get(operation, 0) + 1
            sm2_decrypts = counted.get("kms:Decrypt", 0) if "SM2" in name else 0
            price = (measured.calls.count("kms") - sm2_decrypts) * KMS_REQUEST + sm2_decrypts * \
                KMS_OTHER_ASYMMETRIC_REQUEST
            rows[name] = [str(measured.cpu), str(measured.wall), str(measured.calls.round_trips()),
                          ", ".join(f"{count} {operation}" for operation, count in sorted(counted.items())) or "none",
                          f"{price * 1e4:.2f}"]
    print(json.dumps(rows))


def key_sources(run: Run) -> Table:
    """What holding the keys in KMS costs a request, against Secrets Manager: each source on a stack and emulator of
    its own (the faithful KMS fake does the RSA and SM2 work in the emulator's process, so KMS's own time is not in
    the handler's CPU but its round trips are in the wall time)."""
    table = Table(KEY_SOURCES_TITLE, COLUMNS[KEY_SOURCES_TITLE])
    for source, parameters in KEY_SOURCES.items():
        completed = subprocess.run(
            [sys.executable, "-c", "from oidc_tools.bench.costs import key_source_figures; key_source_figures()"],
            input=json.dumps({"parameters": parameters, "repeat": run.repeat(15)}), capture_output=True, text=True,
            timeout=900)
        if completed.returncode != 0:
            raise RuntimeError(f"key source {source}: {completed.stderr[-2000:]}")
        figures = json.loads(completed.stdout.strip().splitlines()[-1])
        table.rows += [(f"{source}: {request}", *figures[request]) for request in KEY_SOURCE_REQUESTS]
    table.notes = [
        "Calls counted with botocore's hooks on the warm container's clients; KMS's RSA 2048 requests at "
        f"${KMS_REQUEST * 1e4:.2f} per 10,000, other asymmetric keys at ${KMS_OTHER_ASYMMETRIC_REQUEST * 1e4:.2f} "
        f"(SM2 keys exist only in AWS's China Regions and are priced in CNY there: the SM2 row uses that rate as a "
        f"stand-in); list prices of {PRICES_AS_OF}. Fixed costs: ${SECRET_MONTH:.2f} per secret per month and a "
        f"GetSecretValue (${SECRETS_MANAGER_REQUEST * 1e4:.2f} per 10,000) per secret, container and KeyCacheSeconds; "
        f"${KMS_KEY_MONTH:.2f} per KMS key per month. Each KMS call is a round trip on the request's path: the "
        "Decrypt before the hash, the two Signs after it, one after the other (the ID token signs over the access "
        "token's hash)."]
    return table
