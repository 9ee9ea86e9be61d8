"""`make dev`: the whole service on this machine without Docker.

An in-process moto server stands in for DynamoDB and Secrets Manager; the tables and secrets are the ones
template.yaml declares; werkzeug's threaded WSGI server, fronted by `Gateway` (what API Gateway does: routes, CORS,
body limits, its own JSON answers), turns each request into an HTTP API v2 event and calls the handler that
template.yaml routes it to, one request at a time per function as Lambda would.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib.util
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
from http import HTTPStatus
from pathlib import Path

from moto.server import ThreadedMotoServer
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Response

from oidc_core.config import ConfigurationError
from oidc_core.store.clients import ClientExists
from oidc_core.tokens.scopes import KNOWN_SCOPES
from oidc_core.store.users import IdentifierTaken
from oidc_tools.local import outbox, snapshot
from oidc_tools import template as cfn
from oidc_tools.local.emulator import fix_moto
from oidc_tools.local.lambda_events import LambdaContext, http_api_event, response_body
from oidc_tools.stack.operations import create_client, create_user, replace_password_keys
from oidc_tools.stack.provision import provision

STATE_DIR = cfn.ROOT / ".local-stack"
REGION = "us-east-1"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "demo-client", "demo-secret"
# A public client (no secret), as a browser app is; and what both may redirect to after logout and their API scope.
DEMO_PUBLIC_CLIENT_ID = "demo-spa"
DEMO_LOGOUT_REDIRECT = "http://localhost:8080/signed-out"
# The demo app's origins (where DEMO_LOGOUT_REDIRECT lives): browsers may call the local API from these alone.
DEMO_ORIGINS = ("http://localhost:8080", "http://127.0.0.1:8080")
DEMO_API_SCOPE = "demo:read"
# A browser app signing users in with the authorization code flow and PKCE (docs/browser-sign-in.md): a public
# client whose redirect URIs are loopback ones, so any port of 127.0.0.1 or [::1] works (RFC 8252 §7.3).
DEMO_BROWSER_CLIENT_ID = "demo-browser-app"
DEMO_BROWSER_REDIRECT_URIS = ("http://127.0.0.1/callback", "http://[::1]/callback")
DEMO_USER = {
    "username": "demo",
    "email": "demo@example.com",
    "phone": "+8613800138000",
    "email_verified": True,
    "profile": {"name": "Demo User"},
}
DEMO_PASSWORD = "demo-password"
# Fixed password-encryption keys, so events/ can carry ciphertexts and front ends a known public key (local only).
DEMO_PASSWORD_KEYS = Path(__file__).with_name("demo_password_keys.json")


def demo_password_keys() -> dict:
    return {name: value for name, value in json.loads(DEMO_PASSWORD_KEYS.read_text()).items() if name != "_comment"}


def state_file(port: int) -> Path:
    return STATE_DIR / f"{port}.json"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (it names the emulator, which hands the private keys to any caller)."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left by an older run keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def point_boto3_at(endpoint_url: str) -> None:
    """Every AWS call of this process goes to the emulator, with throwaway credentials, never to a real account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
    )


def load_handler(function: cfn.Function):
    """Import a function's handler from its CodeUri, under a module name of its own (every handler is app.py)."""
    module_name, attribute = function.handler.rsplit(".", 1)
    spec = importlib.util.spec_from_file_location(f"local_{function.logical_id}", function.code_uri / f"{module_name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, attribute)


class LocalStack:
    def __init__(self, port: int, data_file: Path | None = None, parameters: dict | None = None):
        self.port = port
        # make dev PERSIST=1: the tables and secrets are restored from this file at start and saved to it at stop
        self.data_file = data_file
        self.restored: dict[str, int] | None = None
        self.template = cfn.load()
        # Short key caching, so `oidc-admin --local keys rotate` shows within seconds; then what the caller chose
        self.parameters = {"IssuerUrl": f"http://127.0.0.1:{port}/oidc", "KeyCacheSeconds": "5",
                           "CorsAllowedOrigins": ",".join(DEMO_ORIGINS),
                           # the sender the emulated SES has verified (outbox.verify_local_sender)
                           "EmailSender": outbox.LOCAL_EMAIL_SENDER, **(parameters or {})}
        # Loopback only: the emulator has no authentication and serves the private keys to whoever asks.
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.handlers: dict[str, tuple] = {}
        self.functions: dict[str, cfn.Function] = {}
        self.routes: list[tuple[str, re.Pattern, str, str]] = []

    # -- AWS resources, as the template declares them -------------------------------------------------------------

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log would drown ours
        fix_moto()
        outbox.install()
        self.moto.start()
        host, moto_port = self.moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{moto_port}"
        point_boto3_at(self.endpoint_url)
        outbox.verify_local_sender()
        provisioned = provision(self.template, self.parameters)
        self.target, self.environments = provisioned.target, provisioned.environments
        self._apply_environment()  # before the seeding imports oidc_core: Powertools reads it when first imported
        if self.data_file is not None and self.data_file.exists():
            self.restored = snapshot.restore(self.template, self.data_file)
        self._seed_demo()
        self._load_functions()
        return self

    def _seed_demo(self) -> None:
        """The demo clients and user, and the fixed password keys; over restored data, only the demo records it lacks
        (the restored keys, and any change made to the demo records, stay)."""
        seeds = (
            lambda: create_client(self.target, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, name="Demo client",
                                  scopes=(*KNOWN_SCOPES, DEMO_API_SCOPE),
                                  post_logout_redirect_uris=[DEMO_LOGOUT_REDIRECT]),
            lambda: create_client(self.target, DEMO_PUBLIC_CLIENT_ID, name="Demo browser app", auth_method="none",
                                  post_logout_redirect_uris=[DEMO_LOGOUT_REDIRECT]),
            lambda: create_client(self.target, DEMO_BROWSER_CLIENT_ID, name="Demo browser sign-in", auth_method="none",
                                  grant_types=("authorization_code", "refresh_token"),
                                  redirect_uris=DEMO_BROWSER_REDIRECT_URIS,
                                  post_logout_redirect_uris=[DEMO_LOGOUT_REDIRECT]),
            lambda: create_user(self.target, DEMO_PASSWORD, **DEMO_USER),
        )
        for seed in seeds:
            try:
                seed()
            except (ClientExists, IdentifierTaken):
                if self.restored is None:
                    raise
        if self.restored is None:
            replace_password_keys(self.target, private_document=demo_password_keys())

    def keys_line(self) -> str:
        """Where each key is held, as the *KeySource parameters chose."""
        resolver = cfn.Resolver(self.template, self.parameters, {})
        sources = {name: resolver.values[f"{parameter}KeySource"]
                   for name, parameter in (("signing", "Signing"), ("RSA", "RsaPassword"), ("SM2", "Sm2Password"))}
        in_kms = [name for name, source in sources.items() if source == "KMS"]
        if not in_kms:
            return "Secrets Manager (make dev KEYS=kms holds them in KMS)"
        where = ", ".join(in_kms) + " in KMS (the faithful fake of tools/oidc_tools/local/faithful_kms.py; new keys at " \
                                    "every start)"
        return where if len(in_kms) == 3 else where + ", the others in Secrets Manager"

    def _apply_environment(self) -> None:
        # Lambda gives each function its own environment; here they share one process, and the template gives
        # variables with the same name the same value, so one merged environment is faithful.
        for environment in self.environments.values():
            os.environ.update(environment)
        os.environ.update(POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true")

    def _load_functions(self) -> None:
        for function in cfn.functions(self.template).values():
            self.handlers[function.logical_id] = (load_handler(function), threading.Lock())
            self.functions[function.logical_id] = function
            for method, path in function.routes:
                pattern = re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)))
                self.routes.append((method, pattern, path, function.logical_id))

    # -- requests --------------------------------------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[str, str, dict] | None:
        for route_method, pattern, route_path, logical_id in self.routes:
            match = pattern.fullmatch(path)  # `$` would also take a trailing newline
            if match and route_method in (method, "ANY"):
                return logical_id, f"{route_method} {route_path}", match.groupdict()
        return None

    def invoke(self, logical_id: str, event: dict) -> dict:
        handler, lock = self.handlers[logical_id]
        with lock:  # one request at a time per function, like one Lambda execution environment
            function = self.functions[logical_id]
            return handler(event, LambdaContext(function_name=logical_id, memory_limit_in_mb=function.memory_size,
                                                timeout_seconds=function.timeout))

    def stop(self) -> None:
        """Let requests in flight finish (the HTTP server has stopped, so none can start), save the data when asked
        to (SnapshotError if that fails), and stop the emulator."""
        for _, lock in self.handlers.values():
            lock.acquire(timeout=30)
        try:
            if self.data_file is not None:
                snapshot.save(self.template, self.data_file)
        finally:
            self.moto.stop()

    def cors_line(self) -> str:
        """The origins browsers may call the API from (the template's resolved CorsAllowedOrigins)."""
        origins = cfn.Resolver(self.template, self.parameters, {}).values["CorsAllowedOrigins"]
        origins = origins.split(",") if isinstance(origins, str) else origins
        if "*" in origins:
            return "browsers may call the API from any origin (*)"
        return ", ".join(origins) + " (the whole list: make dev PARAMETERS='CorsAllowedOrigins=<origin>,<origin>')"

    def data_line(self) -> str:
        if self.data_file is None:
            return "in memory: lost when it stops (make dev PERSIST=1 keeps it)"
        if self.restored is None:
            return f"new, saved to {self.data_file} when it stops"
        items = sum(self.restored.values())
        return f"restored from {self.data_file} ({items} items), saved there again when it stops"


# API Gateway's own answers (the ones no function makes) are JSON with a message; HTTP APIs take at most 10 MB.
GATEWAY_MESSAGES = {400: "Bad Request", 404: "Not Found", 413: "Request Entity Too Large",
                    500: "Internal Server Error"}
MAX_BODY_BYTES = 10 * 1024 * 1024
# Connections the system queues before we accept them: enough for a burst of clients (socketserver's default is 5).
LISTEN_BACKLOG = 1024
HOP_BY_HOP = {"connection", "content-length", "keep-alive", "transfer-encoding"}


class GatewayError(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def gateway_answer(status: int) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps({"message": GATEWAY_MESSAGES.get(status) or HTTPStatus(status).phrase}, separators=(",", ":"))
    return status, [("content-type", "application/json")], body.encode()


def status_line(status: int) -> str:
    try:
        phrase = GATEWAY_MESSAGES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{status} {phrase}"


def _printable(text: str) -> str:
    return "".join(character if character.isprintable() else "?" for character in text)


def read_body(environ: dict, headers: list[tuple[str, str]]) -> bytes:
    """The request body, framed by Content-Length or chunked, as API Gateway accepts it: 400 for a length that is
    not a number or a framing that contradicts itself, 413 beyond 10 MB."""
    lengths = {value.strip() for name, value in headers if name.lower() == "content-length"}
    codings = [value for name, value in headers if name.lower() == "transfer-encoding"]
    stream = environ["wsgi.input"]
    if codings:
        if lengths or ",".join(codings).strip().lower() != "chunked":
            raise GatewayError(400)
        body = bytearray()  # werkzeug hands us the de-chunked stream
        try:
            while chunk := stream.read(65536):
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise GatewayError(413)
        except (ConnectionError, TimeoutError):
            raise
        except (OSError, ValueError):  # a malformed chunk, or the client gave up half way
            raise GatewayError(400) from None
        return bytes(body)
    if not lengths:
        return b""
    if len(lengths) > 1 or not re.fullmatch(r"[0-9]+", next(iter(lengths))):
        raise GatewayError(400)
    length = int(next(iter(lengths)))
    if length > MAX_BODY_BYTES:
        raise GatewayError(413)
    body = stream.read(length)
    if len(body) != length:
        raise GatewayError(400)  # the client closed before sending what it announced
    return body


class Gateway:
    """The HTTP API in front of the functions, as a WSGI application: routes and CORS from template.yaml, an HTTP API
    v2 event per request, and API Gateway's own JSON answers for what reaches no function."""

    def __init__(self, stack: LocalStack):
        self.stack = stack
        # CorsConfiguration may name parameters (the allowed origins): resolved as the deployed API resolves them
        self.cors = cfn.Resolver(stack.template, stack.parameters, {}).resolve(cfn.cors_configuration(stack.template))

    def __call__(self, environ: dict, start_response):
        started = time.perf_counter()
        method = environ["REQUEST_METHOD"]
        target = environ.get("RAW_URI") or "/"
        if not target.startswith("/") and "://" in target:  # absolute form: GET http://host/path HTTP/1.1
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        try:
            status, headers, body = self.answer(environ, method, path, query)
        except GatewayError as error:
            status, headers, body = gateway_answer(error.status)
        except (ConnectionError, TimeoutError):
            raise  # the client went away: nothing to answer
        except Exception:  # a fault of the stack itself: API Gateway's 500, and the stack trace locally
            traceback.print_exc()
            status, headers, body = gateway_answer(500)
        elapsed = (time.perf_counter() - started) * 1000
        print(f"{_printable(method)} {_printable(path)} -> {status} ({elapsed:.0f} ms)", file=sys.stderr, flush=True)
        # werkzeug's Response sends Content-Length, and for HEAD the headers alone
        return _Response(body, status=status_line(status), headers=headers)(environ, start_response)

    @staticmethod
    def request_headers(environ: dict) -> list[tuple[str, str]]:
        """The headers as sent (_RequestHandler keeps them); under another WSGI server, as the environ has them."""
        if "oidc.headers" in environ:
            return environ["oidc.headers"]
        headers = [(name[5:].replace("_", "-").lower(), value) for name, value in environ.items()
                   if name.startswith("HTTP_")]
        return headers + [(name.replace("_", "-").lower(), environ[name])
                          for name in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(name)]

    def answer(self, environ: dict, method: str, path: str, query: str) -> tuple[int, list, bytes]:
        request_headers = self.request_headers(environ)
        body = read_body(environ, request_headers)
        origin = next((value for name, value in request_headers if name.lower() == "origin"), "")
        if method == "OPTIONS" and self.cors and origin:
            return 204, self._cors_headers(origin, preflight=True), b""
        if (local := outbox.answer(method, path)) is not None:  # /_local/: the local stack's own pages, never deployed
            return local
        found = self.stack.route(method, path)
        if found is None and method == "HEAD":  # a GET route answers HEAD: its headers, without the body
            method, found = "GET", self.stack.route("GET", path)
        if found is None:  # an HTTP API answers an unknown path, or a method a path lacks, with 404
            return gateway_answer(404)
        logical_id, route_key, path_parameters = found
        event = http_api_event(
            method, path, route_key=route_key, query=query, headers=request_headers, body=body,
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"), domain_name=f"127.0.0.1:{self.stack.port}",
            path_parameters=path_parameters,
        )
        response = self.stack.invoke(logical_id, event)
        headers = [(str(name).lower(), str(value)) for name, value in (response.get("headers") or {}).items()
                   if str(name).lower() not in HOP_BY_HOP]
        headers += [("set-cookie", cookie) for cookie in response.get("cookies") or ()]
        if self.cors and origin:
            headers += self._cors_headers(origin, preflight=False)
        return int(response.get("statusCode", 200)), headers, response_body(response)

    def _cors_headers(self, origin: str, *, preflight: bool) -> list[tuple[str, str]]:
        # As API Gateway: the one matching origin (or *), never the configured list.
        allowed = self.cors.get("AllowOrigins", [])
        allowed = allowed.split(",") if isinstance(allowed, str) else allowed
        if "*" not in allowed and origin not in allowed:
            return []
        headers = [("access-control-allow-origin", "*" if "*" in allowed else origin)]
        if preflight:
            headers += [("access-control-allow-methods", ",".join(self.cors.get("AllowMethods", []))),
                        ("access-control-allow-headers", ",".join(self.cors.get("AllowHeaders", []))),
                        ("access-control-max-age", str(self.cors.get("MaxAge", 0)))]
        return headers


class _Response(Response):
    default_mimetype = None  # no Content-Type the function did not set


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, with API Gateway's JSON instead of http.server's HTML for requests that cannot be
    parsed (a request line or header too long, a malformed request line), and the headers as they were sent."""

    timeout = 60  # a client that stops sending mid-request does not hold a thread for ever

    def make_environ(self) -> dict:
        environ = super().make_environ()
        # werkzeug drops header names with an underscore and merges repeats; the event wants them as sent
        environ["oidc.headers"] = list(self.headers.items())
        return environ

    def handle_expect_100(self) -> bool:
        return True  # werkzeug sends the 100 Continue itself; http.server would send a second one

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        status, headers, body = gateway_answer(code)
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # a garbled request line still gets a status line
        self.send_response_only(status, status_line(status).partition(" ")[2])
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.send_header("connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)
        self.close_connection = True
        print(f"- {_printable(getattr(self, 'path', None) or '-')[:80]} -> {status}", file=sys.stderr, flush=True)

    def log_error(self, format, *args) -> None:  # timeouts and dropped connections are not worth a line
        pass

    def log_request(self, code="-", size="-") -> None:  # Gateway prints one line per request
        pass


def listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(LISTEN_BACKLOG)
    except OSError:
        listener.close()
        raise
    return listener


def serve(port: int, data_file: Path | None = None, parameters: dict | None = None) -> int:
    stopping = threading.Event()

    def request_stop(signum, frame):
        stopping.set()

    # Set whatever we inherited: a shell that starts us in the background makes SIGINT ignored, and Python keeps an
    # ignored SIGINT ignored. Every stop signal does the same thing: leave serve_forever and clean up below.
    for signum in STOP_SIGNALS:
        signal.signal(signum, request_stop)
    try:
        # Port 0 lets the system pick a free port while we hold it, so nothing can take it between choosing and binding.
        listener = listen(port)
    except OSError as error:
        print(f"cannot listen on 127.0.0.1:{port}: {error.strerror} (try PORT=<another port>)", file=sys.stderr)
        return 1
    port = listener.getsockname()[1]
    try:
        stack = LocalStack(port, data_file, parameters).start()
    except snapshot.SnapshotError as error:
        print(f"local stack: {error}", file=sys.stderr)
        return 1
    except ConfigurationError as error:  # a function refused its configuration at init, as it would on Lambda
        print(f"local stack: the functions refuse their configuration: {error}", file=sys.stderr)
        return 1
    server = ThreadedWSGIServer("127.0.0.1", port, Gateway(stack), handler=_RequestHandler, fd=listener.fileno())
    listener.close()  # the server holds its own descriptor of the same socket
    server_thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http")
    status = 0
    try:
        state = {"pid": os.getpid(), "endpoint_url": stack.endpoint_url, "region": REGION,
                 "target": dataclasses.asdict(stack.target), "environments": stack.environments}
        write_private(state_file(port), json.dumps(state))
        server_thread.start()
        base = f"http://127.0.0.1:{port}"
        # curl -w '\n': the JSON answers end without a newline, as API Gateway passes a function's body on byte for
        # byte, so the shell's prompt would start on the answer's line
        print(
            f"""serverless-oidc local stack (emulated DynamoDB, Secrets Manager and KMS at {stack.endpoint_url})
  data:      {stack.data_line()}
  keys:      {stack.keys_line()}
  CORS:      {stack.cors_line()}
  discovery: curl {base}/oidc/.well-known/openid-configuration -w '\\n'
  token:     curl -X POST {base}/oidc/token -w '\\n' -u {DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET} \\
               -d grant_type=password -d username=demo -d password={DEMO_PASSWORD} -d 'scope=openid profile email'
  admin:     .venv/bin/oidc-admin --local --port {port} user create --username alice
  outbox:    {base}/_local/outbox.html (what the emulated SES and SNS sent)
  Ctrl-C (or SIGTERM) stops it.""",
            flush=True,
        )
        print(f"ready: {base}", flush=True)  # last, so whoever waits for it has everything above
        stopping.wait()
        print("stopping", flush=True)
    finally:
        # A second signal must not cut the cleanup short (make forwards the SIGTERM a process manager sent it).
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        state_file(port).unlink(missing_ok=True)  # first: oidc-admin must not pick a stack that is going away
        if server_thread.is_alive():
            server.shutdown()
            server_thread.join()
        server.server_close()
        try:
            stack.stop()
        except snapshot.SnapshotError as error:
            print(f"local stack: {error}", file=sys.stderr, flush=True)
            status = 1
        print("stopped", flush=True)
    return status


class _OneLineParser(argparse.ArgumentParser):
    """A mistake in what `make dev` was given is one line, as every other refusal of the stack (argparse's own is the
    usage, then the message)."""

    def error(self, message: str):
        self.exit(2, f"local stack: {message}\n")


def port_number(value: str) -> int:
    """A TCP port, 0 to 65535 (0: the system picks a free one); anything else refused in words, not by bind()."""
    if not value.strip().isascii() or not value.strip().isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"PORT must be a whole number from 0 to 65535 (0: any free port), "
                                         f"got {value!r}")
    return int(value)


def template_parameters(assignments: list[str], template: dict) -> dict[str, str]:
    """NAME=VALUE assignments as a dict; ValueError naming the first one that is not, with the closest parameter of
    template.yaml when the name looks misspelled."""
    known = list(template.get("Parameters", {}))
    parameters = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals:
            raise ValueError(f"parameter {assignment!r}: not NAME=VALUE (PARAMETERS='RefreshTokenRotation=false …')")
        if name not in known:
            by_case = {parameter.casefold(): parameter for parameter in known}
            close = [by_case[name.casefold()]] if name.casefold() in by_case else \
                difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else "the parameters are listed in docs/deploying.md"
            raise ValueError(f"parameter {name!r}: template.yaml has no such parameter; {hint}")
        parameters[name] = value
    return parameters


def main(argv: list[str] | None = None) -> None:
    parser = _OneLineParser(prog="python -m oidc_tools.local.stack", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=port_number, default=os.environ.get("PORT") or "3000",
                        help="port to listen on; 0 picks a free one (the ready line names it)")
    parser.add_argument("--data", type=Path, default=None, metavar="FILE",
                        help="keep the tables and secrets in FILE: restored from it at start when it exists, saved "
                             "to it at stop (make dev PERSIST=1 uses .local-stack/data-<port>.json); without it, "
                             "everything is lost when the stack stops")
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="a template parameter, as `sam deploy --parameter-overrides` takes it (repeatable), "
                             "e.g. RefreshTokenRotation=false; make dev PARAMETERS='A=1 B=2'")
    arguments = parser.parse_args(argv)
    template = cfn.load()
    try:
        parameters = template_parameters(arguments.parameter, template)
    except ValueError as error:
        parser.error(str(error))
    # What a deploy would refuse is refused here, before anything listens: not a stack that answers 500 to everything.
    problems = cfn.parameter_problems(template, parameters)
    for problem in problems:
        print(f"local stack: parameter {problem}", file=sys.stderr)
    if problems:
        sys.exit(2)
    sys.exit(serve(arguments.port, arguments.data, parameters))


if __name__ == "__main__":
    main()
