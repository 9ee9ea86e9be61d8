"""A warm TokenFunction and AuthorizeFunction in the bench's process, their AWS in the emulator: what a request costs
and its floor, measured side by side; and `Run`, what the sections share."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import importlib.util
import json
import os
import re
import statistics
import time
from collections.abc import Callable
from urllib.parse import urlencode

from oidc_tools.bench.emulated_aws import CallLog, point_boto3_at
from oidc_tools.bench.report import Samples

PASSWORD = "correct horse battery staple"
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"
SCOPE = "openid profile offline_access"  # two JWTs (access, ID) and a refresh token, as a typical login asks
# Lockout and per-IP throttling would stop a run that fails the same login over and over: thresholds no run reaches,
# so every wrong password still pays what one pays in production before a lock (the counters' writes included).
# The template's MaxValues (the local stack refuses more): a full run fails a few hundred logins.
NO_LOCKOUT = {"LockoutPairThreshold": "1000", "LockoutUserThreshold": "10000", "IpFailureThreshold": "1000000"}
# The browser sign-in's client: a web app with a back end (client_secret_post), PKCE, first party (no consent page)
BROWSER_CLIENT_ID, BROWSER_REDIRECT_URI = "bench-web", "https://app.example.com/callback"

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
        from oidc_tools.stack.operations import create_client, create_user
        from oidc_tools.stack.provision import provision

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
        discovery = load_settings({**os.environ, **self.environments["DiscoveryFunction"]})
        published = keyring.published_password_keys(discovery)
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
        from oidc_tools.local.lambda_events import http_api_event

        return http_api_event("POST", "/oidc/token", route_key="POST /oidc/token", body=urlencode(form).encode(),
                              headers=[("content-type", "application/x-www-form-urlencoded")])

    def page_event(self, method: str, path: str, *, query: dict | None = None, form: dict | None = None,
                   cookies: dict | None = None) -> dict:
        """A browser's request to AuthorizeFunction's pages."""
        from oidc_tools.local.lambda_events import http_api_event

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
        from oidc_tools.local.lambda_events import LambdaContext

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
