"""`make bench`: what a token request costs on this machine, against the work it cannot avoid (issue 10).

Each section is a function that measures one thing and returns a `Table`; `main` runs them in order and prints them
as Markdown (docs/performance.md shows one run, pasted as printed; a test checks the page has the tables and rows
printed here). A new section is a function added to SECTIONS. Nothing here asserts a time: timing belongs in
figures, not tests; `--quick` runs every section with the fewest repetitions, which is what `make test` does to
prove the bench still runs.

What is measured, and how (docs/performance.md says why):
- Warm path: the CPU of the process serving the request (`time.process_time()` around the handler call, every
  thread of the process included), with DynamoDB and Secrets Manager emulated by a moto server in *another* process,
  so the emulator's CPU is not counted. The floor is measured in the same process, interleaved with the requests:
  one Argon2id verification at the stored parameters plus one RS256 signature per JWT the answer carries (and the
  RSA or SM2 decryption of an encrypted password). Medians, with min and max. The browser sign-in's requests are
  AuthorizeFunction's (the login page, the login POST, prompt=none) and TokenFunction's (the code redemption), both
  warm in the same process.
- AWS round trips: counted with botocore's before-call hook (see `CallLog`).
- Cold start: fresh `python -I -S` processes with the built function's directory (TokenFunction's, and
  AuthorizeFunction's) and its layers' python/ first on sys.path, as Lambda's init has them; against the SDK floor
  (boto3, the clients, cryptography, PyJWT).
- Ratios within one run only: this machine is shared and noisy, absolute times move between runs.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import importlib.util
import io
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"
SCOPE = "openid profile offline_access"  # two JWTs (access, ID) and a refresh token, as a typical login asks
# Lockout and per-IP throttling would stop a run that fails the same login over and over: thresholds no run reaches,
# so every wrong password still pays what one pays in production before a lock (the counters' writes included).
# The template's MaxValues (the local stack refuses more): a full run fails a few hundred logins.
NO_LOCKOUT = {"LockoutPairThreshold": "1000", "LockoutUserThreshold": "10000", "IpFailureThreshold": "1000000"}
REGION = "us-east-1"
# The browser sign-in's client: a web app with a back end (client_secret_post), PKCE, first party (no consent page)
BROWSER_CLIENT_ID, BROWSER_REDIRECT_URI = "bench-web", "https://app.example.com/callback"

# Issue 10's targets.
WARM_PASSWORD_TARGET = 1.10  # × floor
REFRESH_BEYOND_FLOOR_TARGET_MS = 2.0
DYNAMODB_BEFORE_HASH_TARGET = 2
COLD_START_TARGET = 1.25  # × floor

# AWS list prices, us-east-1, in USD, as published on the AWS pricing pages on PRICES_AS_OF. Check them before
# quoting a cost: they change (DynamoDB on-demand halved in November 2024).
PRICES_AS_OF = "2025-06-01"
LAMBDA_ARM64_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1e6
HTTP_API_REQUEST = 1.00 / 1e6  # first 300 million a month
DYNAMODB_WRITE_REQUEST_UNIT = 0.625 / 1e6  # on-demand
DYNAMODB_READ_REQUEST_UNIT = 0.125 / 1e6  # on-demand; a strongly consistent read of up to 4 KB is one unit
KMS_REQUEST = 0.03 / 1e4  # symmetric and RSA 2048 requests (Sign with an RSA_2048 key included)
KMS_OTHER_ASYMMETRIC_REQUEST = 0.15 / 1e4  # other asymmetric keys; SM2 keys exist only in China, priced in CNY there
KMS_KEY_MONTH = 1.00
SECRET_MONTH, SECRETS_MANAGER_REQUEST = 0.40, 0.05 / 1e4
LAMBDA_FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, CPU in proportion to memory below it

MEMORY_SIZES = (128, 256, 512, 1024, 1536, 1769, 2048, 3008)


@dataclasses.dataclass
class Table:
    """One section of the output. `fixed`: its rows are known before measuring (labels() names them); otherwise
    they name what was measured (the slowest imports)."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    fixed: bool = True

    def markdown(self) -> str:
        lines = [f"#### {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(self.columns) - 1)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        lines += [""] + [f"{note}" for note in self.notes] if self.notes else []
        return "\n".join(lines)


@dataclasses.dataclass
class Samples:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def __str__(self) -> str:
        return f"{self.median:.1f} ({min(self.values):.1f}–{max(self.values):.1f})"


def ratio_cell(value: float, target: float) -> str:
    return f"{value:.2f} ({'met' if value <= target else f'missed by {value - target:.2f}'}, target ≤ {target:.2f})"


# -- labels: what the tables are called and which rows they have -----------------------------------------------------

PRIMITIVES_TITLE = "Primitives: the unavoidable work, one at a time"
PRIMITIVES = ("Argon2id verify (m=19456 KiB, t=2, p=1)", "RS256 sign, one JWT (RSA-2048)",
              "RSA-2048 PKCS#1 v1.5 password decrypt", "SM2 password decrypt (C1C3C2)")
WARM_TITLE = "Warm path: CPU of the handler against its floor (AWS emulated in another process)"
WARM = ("password grant, plain password", "password grant, RSA-encrypted password",
        "password grant, SM2-encrypted password", "refresh grant (rotation)",
        "failed login: wrong password", "failed login: unknown user", "failed login: blocked user",
        "failed login: undecryptable password", "failed login: locked account",
        "authorization request without a session (login page)", "login POST (code issued)",
        "authorization request, prompt=none with a session", "code redemption (authorization_code grant)")
ROUND_TRIPS_TITLE = "AWS calls per warm request (botocore event hooks)"
ROUND_TRIPS = ("password grant", "refresh grant", "failed login: wrong password",
               "authorization request without a session (login page)", "login POST",
               "authorization request, prompt=none with a session", "code redemption")
COLD_TITLE = "Cold start: fresh `python -I -S` with a built function (TokenFunction unless named) and its layers"
COLD = ("floor: boto3, DynamoDB and Secrets Manager clients, cryptography RSA and Argon2id, PyJWT",
        "import app", "import app + clients", "import app + clients + first password grant (emulator)",
        "import app + clients, X-Ray SDK subsegments on (XRAY_SDK_TRACING=true)",
        "AuthorizeFunction: import app + clients",
        "AuthorizeFunction: import app + clients + first login page (emulator)")
IMPORTS_TITLE = "Cold start: slowest imports of `import app` + clients (-X importtime, by package, one run)"
PACKAGES_TITLE = "Built packages (sam build for this machine, .aws-sam/build-<arch>)"
THROUGHPUT_TITLE = "Local stack (make dev): password grants over HTTP, concurrent clients"
THROUGHPUT_CLIENTS = (1, 4, 16)
MEMORY_TITLE = "Argon2id verify against Lambda memory size (CPU share emulated by duty-cycling a process)"
KEY_SOURCES_TITLE = "Key sources: Secrets Manager (read once per container) against KMS (a call per use), warm"
KEY_SOURCES = {"Secrets Manager": {},
               "KMS": {"SigningKeySource": "KMS", "RsaPasswordKeySource": "KMS", "Sm2PasswordKeySource": "KMS"}}
KEY_SOURCE_REQUESTS = ("password grant, plain password", "password grant, RSA-encrypted password",
                       "password grant, SM2-encrypted password", "refresh grant (rotation)")
COST_TITLE = f"Cost per 1,000,000 requests (AWS list prices, us-east-1, as of {PRICES_AS_OF}, arm64)"
COST = ("password grants", "refresh grants")


COLUMNS = {
    PRIMITIVES_TITLE: ("primitive", "ms, median (min–max)", "× Argon2id"),
    WARM_TITLE: ("request", "handler CPU ms", "floor ms", "× floor", "beyond floor ms", "target"),
    ROUND_TRIPS_TITLE: ("request", "sequential round trips", "DynamoDB round trips before the hash",
                        "Secrets Manager / KMS calls", "DynamoDB read / write units", "calls", "target"),
    COLD_TITLE: ("process", "ms, median (min–max)", "× floor", "target"),
    IMPORTS_TITLE: ("package", "cumulative ms", "own modules ms"),
    PACKAGES_TITLE: ("package", "files", "unzipped KB", "zipped KB"),
    THROUGHPUT_TITLE: ("clients", "requests", "requests/s", "p50 ms", "p99 ms"),
    MEMORY_TITLE: ("memory", "CPU share", "Argon2id ms (measured)", "× full core", "model: full / share",
                   "est. password grant ms", "Lambda $ per 1M password grants"),
    COST_TITLE: ("per 1,000,000", "Lambda ms (billed)", "Lambda $", "HTTP API $", "DynamoDB RRU / WRU", "DynamoDB $",
                 "KMS calls", "KMS $", "total $"),
    KEY_SOURCES_TITLE: ("key source: request", "handler CPU ms", "wall ms (AWS emulated)", "sequential round trips",
                        "Secrets Manager / KMS calls", "KMS $ per 10,000 requests"),
}


def titles() -> list[str]:
    return list(COLUMNS)


def labels() -> dict[str, list[str]]:
    """The rows of each table whose rows are known before measuring, by title."""
    from oidc_tools import template

    packages = [*template.functions(template.load()), "DependenciesLayer", "CoreLayer"]
    return {PRIMITIVES_TITLE: list(PRIMITIVES), WARM_TITLE: list(WARM), ROUND_TRIPS_TITLE: list(ROUND_TRIPS),
            COLD_TITLE: list(COLD), PACKAGES_TITLE: packages,
            THROUGHPUT_TITLE: [f"{clients} concurrent client{'s' if clients > 1 else ''}"
                               for clients in THROUGHPUT_CLIENTS],
            MEMORY_TITLE: [f"{memory} MB" for memory in MEMORY_SIZES], COST_TITLE: list(COST),
            KEY_SOURCES_TITLE: [f"{source}: {request}" for source in KEY_SOURCES for request in KEY_SOURCE_REQUESTS]}


# -- the emulator, in a process of its own -----------------------------------------------------------------------------

def serve_emulator() -> None:
    """Run in the emulator's process: moto's WSGI application, with the project's fixes (tools/oidc_tools/emulator.py),
    behind a threaded HTTP/1.1 server that keeps connections open as AWS's endpoints do. (moto's own server is
    werkzeug's development server, which closes every connection after one answer: the bench would then count a TCP
    connect and close per AWS call that a warm Lambda container does not make.) Prints its port; stops when its
    standard input closes (the bench ended, however it ended)."""
    import http.server
    from urllib.parse import unquote

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from oidc_tools.emulator import fix_moto

    fix_moto()  # the faithful KMS fake included, for the key-source section
    application = DomainDispatcherApplication(create_backend_app)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: Nagle would hold the body for an ACK

        def answer(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            path, _, query = self.path.partition("?")
            host, _, port = (self.headers.get("host") or "127.0.0.1:80").partition(":")
            environ = {"REQUEST_METHOD": self.command, "PATH_INFO": unquote(path, "latin-1"), "QUERY_STRING": query,
                       "SERVER_NAME": host, "SERVER_PORT": port or "80", "SERVER_PROTOCOL": "HTTP/1.1",
                       "REMOTE_ADDR": self.client_address[0], "CONTENT_LENGTH": str(length),
                       "CONTENT_TYPE": self.headers.get("content-type", ""), "wsgi.input": io.BytesIO(body),
                       "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
                       "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False}
            for name, value in self.headers.items():
                environ["HTTP_" + name.upper().replace("-", "_")] = value
            started: list = []
            chunks = application(environ, lambda status, headers, exc_info=None: started.extend((status, headers)))
            try:
                payload = b"".join(chunks)
            finally:
                getattr(chunks, "close", lambda: None)()
            status, headers = started
            code, _, phrase = status.partition(" ")
            self.send_response(int(code), phrase)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = answer

        def log_message(self, format, *args):  # the emulator's access log is not the bench's
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


@contextlib.contextmanager
def emulator():
    """A moto server in another process; yields its endpoint URL. This process never imports moto: importing it
    registers a botocore handler that every call of ours would then pay for."""
    process = subprocess.Popen([sys.executable, "-c", "from oidc_tools.bench import serve_emulator; serve_emulator()"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def point_boto3_at(endpoint_url: str) -> dict:
    """Every AWS call of this process (and of the processes it starts with this environment) goes to the emulator,
    with throwaway credentials, never to a real account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    values = {"AWS_ENDPOINT_URL": endpoint_url, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
              "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    os.environ.update(values)
    return values


# -- counting AWS calls --------------------------------------------------------------------------------------------

class CallLog:
    """AWS calls of the requests made while recording, counted with botocore's `before-call` hook on the clients
    oidc_core.aws makes (`before-parameter-build` fires once per API call, with the call's parameters, retries or
    not; `after-call` closes its interval).

    Sequential round trips are counted by thread, not by clock: a call made on the request's own thread is one round
    trip; the calls made inside one `aws.in_parallel(...)` batch overlap, so the batch costs as many round trips as
    the most calls any one of its threads made (a thread that makes two calls one after the other waits for both).
    Intervals on a shared machine could overlap or not by chance; threads do not. "Before the hash": stages that
    started before the request's first Argon2id verification (the bench wraps passwords.verify_*)."""

    def __init__(self):
        self.calls: list[dict] = []
        self.batch: int | None = None
        self.batches = 0
        self.first_hash_at: float | None = None
        self.recording = False
        self._open: dict[int, dict] = {}

    def attach(self, client) -> None:
        client.meta.events.register("before-parameter-build", self._before)
        client.meta.events.register("after-call", self._after)

    def _before(self, model, params, **_):
        if not self.recording:
            return
        call = {"service": model.service_model.service_name, "operation": model.name, "params": params,
                "thread": threading.get_ident(), "batch": self.batch, "started": time.perf_counter(),
                "cpu_started": time.process_time()}
        self._open[threading.get_ident()] = call
        self.calls.append(call)

    def _after(self, **_):
        call = self._open.pop(threading.get_ident(), None)
        if call is not None:
            call["ended"] = time.perf_counter()

    def wrap_in_parallel(self, original: Callable) -> Callable:
        def in_parallel(*calls):
            self.batches += 1
            self.batch = self.batches
            try:
                return original(*calls)
            finally:
                self.batch = None
        return in_parallel

    def note_hash(self) -> None:
        if self.recording and self.first_hash_at is None:
            self.first_hash_at = time.perf_counter()

    def reset(self) -> None:
        self.calls, self.first_hash_at = [], None

    def snapshot(self) -> CallLog:
        """The log of the last request, kept while this one records the next."""
        kept = CallLog()
        kept.calls, kept.first_hash_at = list(self.calls), self.first_hash_at
        return kept

    def stages(self) -> list[list[dict]]:
        """The request's sequential stages, each a list of calls; a batch's thread chains counted as its depth."""
        stages: list[list[dict]] = []
        seen_batches: dict[int, list[dict]] = {}
        for call in self.calls:
            if call["batch"] is None:
                stages.append([call])
            elif call["batch"] not in seen_batches:
                seen_batches[call["batch"]] = [call]
                stages.append(seen_batches[call["batch"]])
            else:
                seen_batches[call["batch"]].append(call)
        return stages

    @staticmethod
    def depth(stage: list[dict]) -> int:
        per_thread: dict[int, int] = {}
        for call in stage:
            per_thread[call["thread"]] = per_thread.get(call["thread"], 0) + 1
        return max(per_thread.values())

    def round_trips(self, service: str | None = None, before_hash: bool = False) -> int:
        total = 0
        for stage in self.stages():
            calls = [call for call in stage if service is None or call["service"] == service]
            if not calls:
                continue
            if before_hash and self.first_hash_at is not None and calls[0]["started"] > self.first_hash_at:
                continue
            total += self.depth(calls)
        return total

    def count(self, *services: str) -> int:
        return sum(1 for call in self.calls if call["service"] in services)

    def summary(self) -> str:
        names: dict[str, int] = {}
        for call in self.calls:
            names[call["operation"]] = names.get(call["operation"], 0) + 1
        return ", ".join(f"{count} {name}" for name, count in names.items()) or "none"

    def capacity_units(self) -> tuple[int, int]:
        """DynamoDB on-demand (read, write) request units, as counted: every item read strongly consistently is one
        read unit (ours are under 4 KB; an absent item costs one too), every write of an item under 1 KB one write
        unit, a conditional write that fails included."""
        reads = writes = 0
        for call in self.calls:
            if call["service"] != "dynamodb":
                continue
            if call["operation"] == "BatchGetItem":
                reads += sum(len(request["Keys"]) for request in call["params"]["RequestItems"].values())
            elif call["operation"] in ("GetItem", "Query"):
                reads += 1
            elif call["operation"] in ("PutItem", "UpdateItem", "DeleteItem"):
                writes += 1
            elif call["operation"] == "TransactWriteItems":
                writes += 2 * len(call["params"]["TransactItems"])
        return reads, writes

    def wall_in_aws(self) -> float:
        """Milliseconds the request thread waited on AWS: the union of each stage's calls' intervals."""
        total = 0.0
        for stage in self.stages():
            total += (max(call.get("ended", call["started"]) for call in stage) -
                      min(call["started"] for call in stage)) * 1000
        return total


# -- the warm path ---------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Measured:
    cpu: Samples
    floor: Samples
    wall: Samples
    calls: CallLog
    phases: dict[str, float] = dataclasses.field(default_factory=dict)  # median ms per phase of the request


class WarmContainer:
    """A warm TokenFunction container in this process, its AWS in the emulator: what a request costs, and its floor;
    and a warm AuthorizeFunction beside it, for the browser sign-in (one process: their settings are read from one
    environment, both functions' variables, TokenFunction's winning where both have one; they do not differ).

    The handlers are loaded from the source tree with the functions' environment as the template resolves it (tracing
    as the template sets it, metrics on), their logs and metrics written to a buffer that is thrown away."""

    def __init__(self, endpoint_url: str, parameters: dict | None = None):
        point_boto3_at(endpoint_url)
        from oidc_tools import template
        from oidc_tools.operations import create_client, create_user
        from oidc_tools.provision import provision

        self.template = template.load()
        provisioned = provision(self.template, {"IssuerUrl": "https://auth.example.com/oidc", **NO_LOCKOUT,
                                                **(parameters or {})})
        self.target, self.environments = provisioned.target, provisioned.environments
        os.environ.update(self.environments["AuthorizeFunction"])
        os.environ.update(self.environments["TokenFunction"])
        os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "bench")
        create_client(self.target, CLIENT_ID, CLIENT_SECRET)
        create_client(self.target, BROWSER_CLIENT_ID, CLIENT_SECRET, auth_method="client_secret_post",
                      grant_types=("authorization_code", "refresh_token"), redirect_uris=(BROWSER_REDIRECT_URI,))
        create_user(self.target, PASSWORD, username="bench")
        create_user(self.target, PASSWORD, username="blocked", blocked=True)
        locked = create_user(self.target, PASSWORD, username="locked")
        self._lock_account(f"sub:{locked.sub}")
        # Powertools' Logger binds to sys.stdout when it is created: the logs go where Lambda's would, a stream nobody
        # reads here (a file, written as a pipe would be)
        self.sink = open(os.devnull, "w")
        functions = template.functions(self.template)
        with contextlib.redirect_stdout(self.sink):
            self.handlers = {name: _load_handler(functions[name]) for name in ("TokenFunction", "AuthorizeFunction")}
        self.handler = self.handlers["TokenFunction"]
        self.session_cookie: tuple[str, str] | None = None  # the browser session prompt=none uses (browser_session())
        self.calls = CallLog()
        self._instrument()
        self._floor_material()
        from oidc_core.observability import logger

        logger.registered_handler.setStream(self.sink)  # created before the redirection, by an earlier import

    def _lock_account(self, account: str) -> None:
        """Lock an account for a day, as its account counter would after failures from many addresses."""
        import boto3

        from oidc_core.login import lockout

        _, account_key = lockout.keys(account, "127.0.0.1")
        boto3.client("dynamodb").put_item(TableName=self.target.tokens_table, Item={
            "pk": {"S": account_key}, "attempts": {"N": NO_LOCKOUT["LockoutUserThreshold"]},
            "locked_until": {"N": str(int(time.time()) + 86400)}})

    def _instrument(self) -> None:
        """The call log on the function's clients, and timers around the two primitives, for the phase breakdown."""
        import jwt

        from oidc_core import aws
        from oidc_core.passwords import hashing

        for service in ("dynamodb", "secretsmanager", "kms"):
            self.calls.attach(aws.client(service))
        aws.in_parallel = self.calls.wrap_in_parallel(aws.in_parallel)
        from oidc_core.passwords.decryption import rsa as rsa_passwords
        from oidc_core.passwords.decryption import sm2 as sm2_passwords

        self.phase_cpu = {"Argon2id": 0.0, "RS256": 0.0, "password decryption": 0.0}
        inside: list[str] = []  # a timed primitive calling another (a dummy verify is a verify) counts once

        def timed(phase: str, function: Callable, note_hash: bool = False) -> Callable:
            def wrapper(*args, **kwargs):
                if inside:
                    return function(*args, **kwargs)
                if note_hash:
                    self.calls.note_hash()
                inside.append(phase)
                started = time.process_time()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.phase_cpu[phase] += (time.process_time() - started) * 1000
                    inside.pop()
            return wrapper

        hashing.verify_password = timed("Argon2id", hashing.verify_password, note_hash=True)
        hashing.verify_against_dummy = timed("Argon2id", hashing.verify_against_dummy, note_hash=True)
        rsa_passwords.decrypt_password = timed("password decryption", rsa_passwords.decrypt_password)
        sm2_passwords.decrypt_password = timed("password decryption", sm2_passwords.decrypt_password)
        from oidc_core.keys import keyring

        self.sign = jwt.encode  # the floor's signature, untimed
        keyring.SigningKey.sign = timed("RS256", keyring.SigningKey.sign)

    def _floor_material(self) -> None:
        """What the floor computes with: the stored hash of a user, the signing key, the password keys."""
        import boto3
        from cryptography.hazmat.primitives import serialization

        from oidc_core.keys import keyring
        from oidc_core.config import settings

        self.settings = settings()
        self.signing_key = keyring.current_signing_key(self.settings)
        self.password_keys = {kind: keyring.password_decryption_keys(self.settings, kind)[0] for kind in ("rsa", "sm2")}
        item = boto3.client("dynamodb").scan(TableName=self.target.users_table)["Items"]
        self.stored_hash = next(value["password_hash"]["S"] for value in item if "password_hash" in value)
        from oidc_core.config import load_settings

        # what /api/v3/system publishes, read as DiscoveryFunction reads it
        published = keyring.published_password_keys(load_settings({**os.environ, **self.environments["DiscoveryFunction"]}))
        self.rsa_public = serialization.load_pem_public_key(published["rsa"]["public_key_pem"].encode())
        self.rsa_oaep = published["rsa"]["padding"] == "oaep-sha256"
        self.sm2_public_hex = published["sm2"]["public_key_hex"]

    # the unavoidable work of a request, done here directly

    def floor(self, *, hashes: int = 1, signatures: int = 0, decrypt: str = "none", ciphertext: str = "") -> None:
        from oidc_core.passwords.decryption import DecryptionFailed

        if decrypt != "none":
            with contextlib.suppress(DecryptionFailed):
                self.password_keys[decrypt].decrypt_password(ciphertext, self.settings.sm2_cipher_mode)
        for _ in range(hashes):
            _argon2_verify(PASSWORD, self.stored_hash)
        claims = {"sub": "s", "iss": self.settings.issuer, "aud": CLIENT_ID, "iat": 0, "exp": 3600, "scope": SCOPE}
        for _ in range(signatures):
            self.sign(claims, self.signing_key.private_key, algorithm="RS256", headers={"kid": "k", "typ": "JWT"})

    # requests

    def event(self, form: dict) -> dict:
        from oidc_tools.lambda_events import http_api_event

        return http_api_event("POST", "/oidc/token", route_key="POST /oidc/token", body=urlencode(form).encode(),
                              headers=[("content-type", "application/x-www-form-urlencoded")])

    def page_event(self, method: str, path: str, *, query: dict | None = None, form: dict | None = None,
                   cookies: dict | None = None) -> dict:
        """A browser's request to AuthorizeFunction's pages."""
        from oidc_tools.lambda_events import http_api_event

        headers = [("accept-language", "en"), ("user-agent", "Mozilla/5.0")]
        if cookies:
            headers.append(("cookie", "; ".join(f"{name}={value}" for name, value in cookies.items())))
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            headers.append(("content-type", "application/x-www-form-urlencoded"))
        return http_api_event(method, path, route_key=f"{method} {path}", query=urlencode(query or {}),
                              headers=headers, body=body)

    def authorization_query(self, **extra: str) -> tuple[dict, str]:
        """An authorization request's parameters, with a fresh PKCE pair; and its code_verifier."""
        import hashlib
        import secrets

        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        return ({"client_id": BROWSER_CLIENT_ID, "redirect_uri": BROWSER_REDIRECT_URI, "response_type": "code",
                 "scope": SCOPE, "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
                 "code_challenge": challenge, "code_challenge_method": "S256", **extra}, verifier)

    def login_form_event(self) -> dict:
        """The login POST of a browser just shown the login page (shown here, outside any measurement)."""
        query, _ = self.authorization_query()
        shown, _, _ = self.call(self.page_event("GET", "/oidc/auth", query=query), "AuthorizeFunction")
        assert shown["statusCode"] == 200, shown
        fields = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', shown["body"]))
        return self.page_event("POST", "/oidc/login", form={**fields, "identifier": "bench", "password": PASSWORD},
                               cookies=_cookies(shown))

    def browser_session(self) -> dict:
        """The cookie of a browser signed in once (the first call signs it in)."""
        if self.session_cookie is None:
            answer, _, _ = self.call(self.login_form_event(), "AuthorizeFunction")
            assert answer["statusCode"] == 303, answer
            # `__Host-oidc_session` over https, `oidc_session` over plain http (issue 23)
            self.session_cookie = next(cookie for cookie in _cookies(answer).items()
                                       if cookie[0].endswith("oidc_session"))
        return dict([self.session_cookie])

    def silent_authorization(self) -> tuple[dict, str]:
        """A prompt=none authorization request from the signed-in browser, and the code_verifier of its code."""
        query, verifier = self.authorization_query(prompt="none")
        return self.page_event("GET", "/oidc/auth", query=query, cookies=self.browser_session()), verifier

    def call(self, event: dict, function: str = "TokenFunction") -> tuple[dict, float, float]:
        """The handler's answer, its CPU ms and wall ms."""
        from oidc_tools.lambda_events import LambdaContext

        context = LambdaContext(function, memory_limit_in_mb=memory_size(self.template, function))
        handler = self.handlers[function]
        with contextlib.redirect_stdout(self.sink):  # its metrics (printed when the handler returns), not figures
            wall, cpu = time.perf_counter(), time.process_time()
            response = handler(event, context)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return response, cpu * 1000, wall * 1000

    def password_form(self, password: str = PASSWORD, encrypt_type: str = "none", username: str = "bench") -> dict:
        return {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": SCOPE,
                "username": username, "password": password, "password_encrypt_type": encrypt_type}

    def measure(self, make_form: Callable[[], tuple[dict, dict]], expected: int, repeat: int,
                after: Callable[[dict], None] | None = None) -> Measured:
        """`make_form()` gives the form and the floor's arguments (so an encrypted password is encrypted outside the
        measurement). A warm-up request first: the container is warm, its keys and client secret cached."""
        def make_event():
            form, floor_arguments = make_form()
            return self.event(form), floor_arguments

        return self.measure_events(make_event, expected, repeat,
                                   after=(lambda response: after(json.loads(response["body"]))) if after else None)

    def measure_events(self, make_event: Callable[[], tuple[dict, dict]], expected: int, repeat: int,
                       after: Callable[[dict], None] | None = None, function: str = "TokenFunction") -> Measured:
        """`make_event()` gives the event and the floor's arguments, doing outside the measurement whatever the
        request needs first (a page shown, a code issued); `after` sees each answer."""
        cpu, floor, wall, phases = [], [], [], []
        for index in range(repeat + 1):
            event, floor_arguments = make_event()
            started = time.process_time()
            self.floor(**floor_arguments)
            floor_ms = (time.process_time() - started) * 1000
            self.calls.reset()
            self.phase_cpu = dict.fromkeys(self.phase_cpu, 0.0)
            self.calls.recording = True
            response, cpu_ms, wall_ms = self.call(event, function)
            self.calls.recording = False
            assert response["statusCode"] == expected, response
            if after:
                after(response)
            if index == 0:
                continue
            cpu.append(cpu_ms)
            floor.append(floor_ms)
            wall.append(wall_ms)
            phases.append({**self.phase_cpu,
                           "everything else (parse, route, AWS SDK, log, metrics)": max(
                               0.0, cpu_ms - sum(self.phase_cpu.values())),
                           "waiting (wall − CPU: AWS round trips, emulated)": max(0.0, wall_ms - cpu_ms)})
        median_phases = {name: statistics.median(phase[name] for phase in phases) for name in (phases or [{}])[0]}
        return Measured(Samples(cpu), Samples(floor), Samples(wall), self.calls.snapshot(), median_phases)


def _cookies(response: dict) -> dict[str, str]:
    """The cookies a handler's answer sets, as the browser then sends them."""
    return dict(header.split(";", 1)[0].split("=", 1) for header in response.get("cookies") or [])


def _argon2_verify(password: str, stored_hash: str) -> None:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    Argon2id.verify_phc_encoded(password.encode(), stored_hash)


def _load_handler(function):
    """Import a function's handler from its CodeUri, as the local stack does (every handler is app.py)."""
    module_name, attribute = function.handler.rsplit(".", 1)
    path = function.code_uri / f"{module_name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{function.logical_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, attribute)


def memory_size(template: dict, function: str = "TokenFunction") -> int:
    defaults = template.get("Globals", {}).get("Function", {})
    return int(template["Resources"][function]["Properties"].get("MemorySize", defaults.get("MemorySize", 128)))


# -- sections ----------------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Run:
    """What the sections share: repetitions, and what earlier sections measured that later ones use."""

    quick: bool
    endpoint_url: str = ""
    warm: dict[str, Measured] = dataclasses.field(default_factory=dict)
    container: WarmContainer | None = None
    memory_curve: dict[int, float] = dataclasses.field(default_factory=dict)
    argon2_full_core: float = 0.0

    def repeat(self, full: int) -> int:
        return 1 if self.quick else full

    def warm_container(self) -> WarmContainer:
        """The provisioned emulator and the warm function, made by the first section that needs them."""
        if self.container is None:
            self.container = WarmContainer(self.endpoint_url)
        return self.container


def primitives(run: Run) -> Table:
    """Each primitive alone, wall time, in this process (the warm path's floor is made of them)."""
    import jwt
    from cryptography.hazmat.primitives import serialization

    from oidc_core.passwords import hashing
    from oidc_core.config import OWASP_MINIMUM_ARGON2
    from oidc_core.keys.jwk import generate_rsa_private_key_pem
    from oidc_core.passwords.decryption import rsa as rsa_passwords
    from oidc_core.passwords.decryption import sm2 as sm2_passwords
    from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

    def timed(function, repeat) -> Samples:
        function()
        samples = []
        for _ in range(run.repeat(repeat)):
            started = time.perf_counter()
            function()
            samples.append((time.perf_counter() - started) * 1000)
        return Samples(samples)

    stored = hashing.hash_password(PASSWORD, OWASP_MINIMUM_ARGON2)
    signing_key = serialization.load_pem_private_key(generate_rsa_private_key_pem().encode(), password=None)
    claims = {"sub": "s", "iss": "https://auth.example.com/oidc", "aud": "app", "iat": 0, "exp": 3600}
    rsa_key = rsa_passwords.load_private_key(generate_rsa_private_key_pem(2048))
    pkcs1 = rsa_encrypt(PASSWORD, rsa_key.public_key())
    sm2_key = sm2_passwords.generate_private_key()
    sm2_text = sm2_encrypt(PASSWORD.encode(), sm2_key.public_key_hex)
    argon2 = timed(lambda: hashing.verify_password(PASSWORD, stored), 15)
    run.argon2_full_core = argon2.median
    figures = (argon2,
               timed(lambda: jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": "k"}), 50),
               timed(lambda: rsa_passwords.decrypt_password(pkcs1, rsa_key, rsa_passwords.PKCS1_V15), 50),
               timed(lambda: sm2_passwords.decrypt_password(sm2_text, sm2_key), 30))
    return Table(PRIMITIVES_TITLE, COLUMNS[PRIMITIVES_TITLE],
                 [(name, str(value), f"{value.median / argon2.median:.2f}")
                  for name, value in zip(PRIMITIVES, figures, strict=True)])


def warm_path(run: Run) -> Table:
    from oidc_tools.client_encryption import rsa_encrypt, sm2_encrypt

    container = run.warm_container()
    repeat = run.repeat(25)

    def plain():
        return container.password_form(), {"signatures": 2}

    def rsa():
        ciphertext = rsa_encrypt(PASSWORD, container.rsa_public)
        return container.password_form(ciphertext, "rsa"), {"signatures": 2, "decrypt": "rsa", "ciphertext": ciphertext}

    def sm2():
        ciphertext = sm2_encrypt(PASSWORD.encode(), container.sm2_public_hex)
        return container.password_form(ciphertext, "sm2"), {"signatures": 2, "decrypt": "sm2", "ciphertext": ciphertext}

    # a refresh token to refresh with, and each refresh's new one for the next (rotation uses each up)
    refresh = {"token": None}

    def keep_refresh_token(answer: dict) -> None:
        refresh["token"] = answer["refresh_token"]

    container.measure(plain, 200, 0, after=keep_refresh_token)

    def refresh_form():
        return ({"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                 "refresh_token": refresh["token"]}, {"hashes": 0, "signatures": 2})

    def failing(password=PASSWORD, encrypt_type="none", username="bench", hashes=1, decrypt="none"):
        def form():
            return (container.password_form(password, encrypt_type, username),
                    {"hashes": hashes, "decrypt": decrypt, "ciphertext": password})
        return form

    cases = [(plain, 200, None), (rsa, 200, None), (sm2, 200, None), (refresh_form, 200, keep_refresh_token),
             (failing("wrong"), 400, None), (failing(username="nobody"), 400, None),
             (failing(username="blocked"), 400, None),
             (failing("not a ciphertext", "rsa", decrypt="rsa"), 400, None),
             (failing(username="locked"), 400, None)]
    table = Table(WARM_TITLE, COLUMNS[WARM_TITLE])
    for name, (make_form, expected, after) in zip(WARM, cases, strict=False):
        run.warm[name] = container.measure(make_form, expected, repeat, after=after)
    for name, measured in zip(WARM[len(cases):], browser_sign_in(container, repeat), strict=True):
        run.warm[name] = measured
    for name in WARM:
        measured = run.warm[name]
        cpu, floor = measured.cpu.median, measured.floor.median
        target = ""
        if name == WARM[0]:
            target = ratio_cell(cpu / floor, WARM_PASSWORD_TARGET)
        elif name.startswith("refresh"):
            beyond = cpu - floor
            target = (f"{'met' if beyond <= REFRESH_BEYOND_FLOOR_TARGET_MS else 'missed'} "
                      f"(≤ {REFRESH_BEYOND_FLOOR_TARGET_MS:.0f} ms beyond)")
        table.rows.append((name, str(measured.cpu), str(measured.floor),
                           f"{cpu / floor:.2f}" if floor >= 1 else "–", f"{cpu - floor:.1f}", target))
    table.notes = [
        f"Medians of {repeat} warm requests (min–max), CPU of this process by `time.process_time()` around the "
        "handler call; the floor, measured between the requests: one Argon2id verify at the stored parameters (none "
        "for a refresh; a locked account pays one too, so that its answer comes no sooner), one RS256 signature per "
        "JWT the answer carries (2: access and ID token), and the decryption of an encrypted password. Logs and "
        "metrics are on, as deployed. The browser sign-in (AuthorizeFunction, a first-party web app with PKCE, "
        f"scope {SCOPE}): the login page and prompt=none have no floor (no hash, no signature), the login POST one "
        "Argon2id verify, the code redemption its 2 signatures."]
    return table


def browser_sign_in(container: WarmContainer, repeat: int) -> list[Measured]:
    """The authorization code flow's requests, warm, in the order of WARM's last four rows."""
    def login_page():
        query, _ = container.authorization_query()
        return container.page_event("GET", "/oidc/auth", query=query), {"hashes": 0}  # a browser's first visit

    def login_post():
        return container.login_form_event(), {"hashes": 1}

    def silent():
        return container.silent_authorization()[0], {"hashes": 0}

    def redemption():
        from urllib.parse import parse_qs, urlsplit

        event, verifier = container.silent_authorization()
        issued, _, _ = container.call(event, "AuthorizeFunction")
        code = parse_qs(urlsplit(issued["headers"]["Location"]).query)["code"][0]
        return container.event({"grant_type": "authorization_code", "code": code, "redirect_uri": BROWSER_REDIRECT_URI,
                                "client_id": BROWSER_CLIENT_ID, "client_secret": CLIENT_SECRET,
                                "code_verifier": verifier}), {"hashes": 0, "signatures": 2}

    return [container.measure_events(login_page, 200, repeat, function="AuthorizeFunction"),
            container.measure_events(login_post, 303, repeat, function="AuthorizeFunction"),
            container.measure_events(silent, 302, repeat, function="AuthorizeFunction"),
            container.measure_events(redemption, 200, repeat)]


def round_trips(run: Run) -> Table:
    table = Table(ROUND_TRIPS_TITLE, COLUMNS[ROUND_TRIPS_TITLE])
    for name, warm_name in zip(ROUND_TRIPS, (WARM[0], WARM[3], WARM[4], *WARM[-4:]), strict=True):
        calls = run.warm[warm_name].calls  # the log of the last measured request of that kind
        before = calls.round_trips("dynamodb", before_hash=True) if calls.first_hash_at else None
        key_calls = calls.count("secretsmanager", "kms")
        reads, writes = calls.capacity_units()
        target = ""
        if name == "password grant":
            met = before is not None and before <= DYNAMODB_BEFORE_HASH_TARGET and key_calls == 0
            target = f"{'met' if met else 'missed'} (≤ {DYNAMODB_BEFORE_HASH_TARGET} before the hash, no key fetch)"
        elif name == "refresh grant":
            target = f"{'met' if key_calls == 0 else 'missed'} (no key fetch)"
        table.rows.append((name, str(calls.round_trips()), "–" if before is None else str(before), str(key_calls),
                           f"{reads} / {writes}", calls.summary(), target))
    return table


_COLD_SCRIPT = r"""
import json, sys, time
started = time.perf_counter()
mode, function_dir, *layers = sys.argv[1:]
sys.path[:0] = [function_dir] + layers
if mode == "floor":
    import boto3
    boto3.session.Session().client("dynamodb")
    boto3.session.Session().client("secretsmanager")
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    import jwt
else:
    import app
    if mode != "import":
        from oidc_core import aws
        aws.client("dynamodb")
        aws.client("secretsmanager")
    if mode == "request":
        import os
        name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        class Context:
            function_name = name
            function_version = "$LATEST"
            memory_limit_in_mb = 1024
            invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
            aws_request_id = "cold"
            log_group_name = f"/aws/lambda/{name}"
            def get_remaining_time_in_millis(self):
                return 10000
        saved, sys.stdout = sys.stdout, open("/dev/null", "w")
        response = app.lambda_handler(json.loads(sys.stdin.read()), Context())
        sys.stdout = saved
        assert response["statusCode"] == 200, response
print((time.perf_counter() - started) * 1000)
"""


def build_dir() -> Path:
    architecture = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    return ROOT / os.environ.get("HOST_BUILD", f".aws-sam/build-{architecture}")


def _cold_command(mode: str, *flags: str, function: str = "TokenFunction") -> list[str]:
    build = build_dir()
    if not (build / function / "app.py").exists():
        raise SystemExit(f"no build at {build}: run `make build-host` (make bench does)")
    layers = [str(build / layer / "python") for layer in ("DependenciesLayer", "CoreLayer")]
    return [sys.executable, "-I", "-S", *flags, "-c", _COLD_SCRIPT, mode, str(build / function), *layers]


def _lambda_environment(run: Run, function: str = "TokenFunction", **extra: str) -> dict:
    """What a function's process sees in Lambda: the template's environment, the runtime's variables."""
    environment = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **run.warm_container().environments[function],
                   **{name: os.environ[name] for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                                                          "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")},
                   "LAMBDA_TASK_ROOT": str(build_dir() / function), "AWS_LAMBDA_FUNCTION_NAME": function,
                   "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_size(run.warm_container().template, function)),
                   "POWERTOOLS_METRICS_NAMESPACE": "bench",
                   "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR", **extra}
    return environment


def cold_start(run: Run) -> Table:
    """Fresh processes, interleaved (floor, app, …) so that the machine's mood changes touch every figure alike."""
    container = run.warm_container()
    first_requests = {"TokenFunction": container.event(container.password_form()),
                      "AuthorizeFunction": container.page_event("GET", "/oidc/auth",
                                                                query=container.authorization_query()[0])}
    token, authorize = "TokenFunction", "AuthorizeFunction"
    modes = [("floor", token, {}), ("import", token, {}), ("clients", token, {}), ("request", token, {}),
             ("clients", token, {"XRAY_SDK_TRACING": "true"}), ("clients", authorize, {}), ("request", authorize, {})]
    samples: list[list[float]] = [[] for _ in modes]
    for round_number in range(run.repeat(15) + 1):  # round 0 warms the page cache and writes the .pyc files
        for index, (mode, function, extra) in enumerate(modes):
            result = subprocess.run(_cold_command(mode, function=function),
                                    env=_lambda_environment(run, function, **extra),
                                    input=json.dumps(first_requests[function]) if mode == "request" else "",
                                    capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                raise SystemExit(f"cold start {function} {mode} failed:\n{result.stderr}")
            if round_number:
                samples[index].append(float(result.stdout.strip().splitlines()[-1]))
    figures = [Samples(values) for values in samples]
    floor = figures[0].median
    table = Table(COLD_TITLE, COLUMNS[COLD_TITLE])
    for name, figure in zip(COLD, figures, strict=True):
        ratio = figure.median / floor
        target = ratio_cell(ratio, COLD_START_TARGET) if name == "import app + clients" else ""
        table.rows.append((name, str(figure), f"{ratio:.2f}", target))
    table.notes = [f"Medians of {len(samples[0])} fresh processes each, tracing as the template deploys it "
                   "(Lambda's own X-Ray segments, no SDK); the X-Ray row with the SDK's subsegments switched on. "
                   "AuthorizeFunction's rows: its built directory with the same layers, its first request an "
                   "authorization request without a session (the login page), against the same floor."]
    return table


def slowest_imports(run: Run) -> Table:
    """Where `import app` + the clients spend their time, by top-level package: each package's first import, with
    everything it imported first (boto3 holds botocore, urllib3, s3transfer). One run: only the order means much."""
    result = subprocess.run(_cold_command("clients", "-X", "importtime"), env=_lambda_environment(run),
                            capture_output=True, text=True, timeout=120, check=True)
    packages: dict[str, tuple[float, float]] = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and match[4] != "app":
            top = match[4].split(".")[0]
            cumulative, own = packages.get(top, (0.0, 0.0))
            packages[top] = (max(cumulative, int(match[2]) / 1000), own + int(match[1]) / 1000)
    shown = sorted(packages.items(), key=lambda item: -item[1][0])[:12]
    return Table(IMPORTS_TITLE, COLUMNS[IMPORTS_TITLE],
                 [(name, f"{cumulative:.1f}", f"{own:.1f}") for name, (cumulative, own) in shown], fixed=False,
                 notes=["cumulative: the package's first import, with what it imported first; own: the time spent in "
                        "its own modules. The floor's packages (boto3, cryptography, jwt) are here too."])


def packages(run: Run) -> Table:
    """What sam build made: unzipped bytes (Lambda's limit is 250 MB for a function and its layers together) and
    the zip sam deploy uploads (compressed here with zipfile, level 6)."""
    from oidc_tools import template

    build = build_dir()
    table = Table(PACKAGES_TITLE, COLUMNS[PACKAGES_TITLE])
    for name in [*template.functions(template.load()), "DependenciesLayer", "CoreLayer"]:
        files = [path for path in (build / name).rglob("*") if path.is_file() and "__pycache__" not in path.parts]
        unzipped = sum(path.stat().st_size for path in files)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(build / name))
        table.rows.append((name, str(len(files)), f"{unzipped / 1024:,.0f}", f"{buffer.tell() / 1024:,.0f}"))
    return table


def throughput(run: Run) -> Table:
    """`make dev` in its own process (its emulator in it, as make dev runs), driven over HTTP by N client threads
    each sending password grants one after another for a few seconds. The local stack serves one request at a time
    per function (one Lambda container), so more clients queue: latency grows, throughput does not."""
    import http.client

    # local_stack imports moto, which hooks botocore: harmless here, after the warm path was measured
    from oidc_tools.local_stack import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD

    parameters = [argument for name, value in NO_LOCKOUT.items() for argument in ("--parameter", f"{name}={value}")]
    process = subprocess.Popen([sys.executable, "-m", "oidc_tools.local_stack", "--port", "0", *parameters],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "AWS_ENDPOINT_URL": ""})
    table = Table(THROUGHPUT_TITLE, COLUMNS[THROUGHPUT_TITLE])
    try:
        base = None
        for line in process.stdout:
            if line.startswith("ready: "):
                base = line.split("ready: ", 1)[1].strip()
                break
        if base is None:
            raise SystemExit("the local stack did not start")
        # the functions log a line per request on stdout: read on, or the pipe fills and the stack blocks on it
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
        host, port = base.removeprefix("http://").split(":")
        body = urlencode({"grant_type": "password", "username": "demo", "password": DEMO_PASSWORD,
                          "scope": "openid profile offline_access"})
        credentials = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()
        headers = {"content-type": "application/x-www-form-urlencoded", "authorization": f"Basic {credentials}"}
        duration = 0.0 if run.quick else 6.0

        def client(latencies: list[float], deadline: float) -> None:
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            while True:
                started = time.perf_counter()
                connection.request("POST", "/oidc/token", body, headers)
                reply = connection.getresponse()
                reply.read()
                assert reply.status == 200, reply.status
                latencies.append((time.perf_counter() - started) * 1000)
                if time.perf_counter() >= deadline:
                    break
            connection.close()

        client([], time.perf_counter())  # warm-up: the first request of a container is a cold one
        for clients in THROUGHPUT_CLIENTS:
            latencies: list[list[float]] = [[] for _ in range(clients)]
            started = time.perf_counter()
            threads = [threading.Thread(target=client, args=(latencies[index], started + duration))
                       for index in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            every = sorted(latency for per_client in latencies for latency in per_client)
            p99 = every[min(len(every) - 1, math.ceil(0.99 * len(every)) - 1)]
            table.rows.append((f"{clients} concurrent client{'s' if clients > 1 else ''}", str(len(every)),
                               f"{len(every) / elapsed:.1f}", f"{statistics.median(every):.1f}", f"{p99:.1f}"))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    table.notes = ["One process serves every client, as `make dev` does (its emulator inside it, so the emulator's "
                   "CPU competes with the function's): a local figure, not a Lambda one."]
    return table


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
            [sys.executable, "-c", "from oidc_tools.bench import key_source_figures; key_source_figures()"],
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


SECTIONS: list[Callable[[Run], Table]] = [primitives, warm_path, round_trips, cold_start, slowest_imports, packages,
                                          throughput, memory_curve, cost, key_sources]


def header() -> str:
    return (f"On this machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
            "Figures in ms; one run; ratios are what compare.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition of everything: proves the bench runs")
    parser.add_argument("--plot", type=Path, default=None, help="write the phase and memory plot to this PNG")
    parser.add_argument("--only", nargs="+", choices=[section.__name__ for section in SECTIONS], default=None,
                        help="run these sections alone (while working on one figure; the sections that use another's "
                             "figures need it named too: memory_curve and cost use warm_path)")
    arguments = parser.parse_args(argv)
    sections = [section for section in SECTIONS if arguments.only is None or section.__name__ in arguments.only]
    run = Run(quick=arguments.quick)
    tables = []
    with emulator() as endpoint_url:
        run.endpoint_url = endpoint_url
        print(header() + "\n", flush=True)
        for section in sections:
            table = section(run)
            tables.append(table)
            print(table.markdown() + "\n", flush=True)
    if arguments.only is None:
        assert [table.title for table in tables] == titles(), "titles() must name the tables as they are measured"
    fixed = labels()
    for table in tables:
        if table.fixed:
            assert [row[0] for row in table.rows] == fixed[table.title], table.title
    if arguments.plot:
        from oidc_tools.bench_plot import plot

        plot(run, arguments.plot, warm_order=list(WARM), chosen_memory_mb=memory_size(run.container.template),
             full_vcpu_mb=LAMBDA_FULL_VCPU_MB)
        print(f"plot: {arguments.plot}")


if __name__ == "__main__":
    main()
