"""`make dev`: the whole service on this machine without Docker.

An in-process moto server stands in for DynamoDB and Secrets Manager; the tables and secrets are the ones
template.yaml declares; an HTTP server turns each request into an HTTP API v2 event and calls the handler that
template.yaml routes it to, one request at a time per function as Lambda would.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from moto.server import ThreadedMotoServer

from oidc_core.scopes import KNOWN_SCOPES
from oidc_tools import template as cfn
from oidc_tools.emulator import serialise_dynamodb_item_operations
from oidc_tools.lambda_events import LambdaContext, http_api_event, response_body
from oidc_tools.operations import create_client, create_user, replace_password_keys
from oidc_tools.provision import provision

STATE_DIR = cfn.ROOT / ".local-stack"
REGION = "us-east-1"

DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "demo-client", "demo-secret"
# A public client (no secret), as a browser app is; and what both may redirect to after logout and their API scope.
DEMO_PUBLIC_CLIENT_ID = "demo-spa"
DEMO_LOGOUT_REDIRECT = "http://localhost:8080/signed-out"
DEMO_API_SCOPE = "demo:read"
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
    def __init__(self, port: int):
        self.port = port
        self.template = cfn.load()
        # Short key caching, so `oidc-admin --local keys rotate` shows within seconds
        self.parameters = {"IssuerUrl": f"http://127.0.0.1:{port}/oidc", "KeyCacheSeconds": "5"}
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.handlers: dict[str, tuple] = {}
        self.routes: list[tuple[str, re.Pattern, str, str]] = []

    # -- AWS resources, as the template declares them -------------------------------------------------------------

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log would drown ours
        serialise_dynamodb_item_operations()
        self.moto.start()
        host, moto_port = self.moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{moto_port}"
        point_boto3_at(self.endpoint_url)
        provisioned = provision(self.template, self.parameters)
        self.target, self.environments = provisioned.target, provisioned.environments
        create_client(self.target, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, name="Demo client",
                      scopes=(*KNOWN_SCOPES, DEMO_API_SCOPE), post_logout_redirect_uris=[DEMO_LOGOUT_REDIRECT])
        create_client(self.target, DEMO_PUBLIC_CLIENT_ID, name="Demo browser app", auth_method="none",
                      post_logout_redirect_uris=[DEMO_LOGOUT_REDIRECT])
        create_user(self.target, DEMO_PASSWORD, **DEMO_USER)
        replace_password_keys(self.target, private_document=demo_password_keys())
        self._load_functions()
        return self

    def _load_functions(self) -> None:
        # Lambda gives each function its own environment; here they share one process, and the template gives
        # variables with the same name the same value, so one merged environment is faithful.
        for environment in self.environments.values():
            os.environ.update(environment)
        os.environ.update(POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_DISABLED="true")
        for function in cfn.functions(self.template).values():
            self.handlers[function.logical_id] = (load_handler(function), threading.Lock())
            for method, path in function.routes:
                pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
                self.routes.append((method, pattern, path, function.logical_id))

    # -- requests --------------------------------------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[str, str, dict] | None:
        for route_method, pattern, route_path, logical_id in self.routes:
            match = pattern.match(path)
            if match and route_method in (method, "ANY"):
                return logical_id, f"{route_method} {route_path}", match.groupdict()
        return None

    def invoke(self, logical_id: str, event: dict) -> dict:
        handler, lock = self.handlers[logical_id]
        with lock:  # one request at a time per function, like one Lambda execution environment
            return handler(event, LambdaContext(function_name=logical_id))

    def stop(self) -> None:
        self.moto.stop()


class _RequestHandler(BaseHTTPRequestHandler):
    stack: LocalStack
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        started = time.perf_counter()
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cors = cfn.cors_configuration(self.stack.template)
        if self.command == "OPTIONS" and cors and self.headers.get("Origin"):
            self._respond(204, self._cors_headers(cors, preflight=True), b"")
            return self._log(204, started)
        found = self.stack.route(self.command, path)
        if found is None:
            self._respond(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
            return self._log(404, started)
        logical_id, route_key, path_parameters = found
        event = http_api_event(
            self.command, path, route_key=route_key, query=query, headers=list(self.headers.items()), body=body,
            source_ip=self.client_address[0], domain_name=f"127.0.0.1:{self.stack.port}", path_parameters=path_parameters,
        )
        try:
            response = self.stack.invoke(logical_id, event)
        except Exception:  # an unhandled error in a handler: API Gateway's own answer, and the stack trace locally
            traceback.print_exc()
            response = {"statusCode": 500, "headers": {"content-type": "application/json"},
                        "body": '{"message":"Internal Server Error"}'}
        headers = {name.lower(): str(value) for name, value in (response.get("headers") or {}).items()}
        if cors and self.headers.get("Origin"):
            headers.update(self._cors_headers(cors, preflight=False))
        self._respond(response.get("statusCode", 200), headers, response_body(response), response.get("cookies", []))
        self._log(response.get("statusCode", 200), started)

    @staticmethod
    def _cors_headers(cors: dict, *, preflight: bool) -> dict:
        headers = {"access-control-allow-origin": ",".join(cors.get("AllowOrigins", []))}
        if preflight:
            headers["access-control-allow-methods"] = ",".join(cors.get("AllowMethods", []))
            headers["access-control-allow-headers"] = ",".join(cors.get("AllowHeaders", []))
            headers["access-control-max-age"] = str(cors.get("MaxAge", 0))
        return headers

    def _respond(self, status: int, headers: dict, body: bytes, cookies: list[str] = ()) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name not in ("content-length", "connection"):
                self.send_header(name, value)
        for cookie in cookies:
            self.send_header("set-cookie", cookie)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _log(self, status: int, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        print(f"{self.command} {self.path.partition('?')[0]} -> {status} ({elapsed:.0f} ms)", file=sys.stderr, flush=True)

    def log_message(self, format, *args):  # the access line above is enough; never echo request details
        pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve


def serve(port: int) -> None:
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), type("Handler", (_RequestHandler,), {}))
    except OSError as error:
        sys.exit(f"cannot listen on 127.0.0.1:{port}: {error.strerror} (try PORT=<another port>)")
    # Port 0 lets the system pick a free port while we hold it, so nothing can take it between choosing and binding.
    port = server.server_address[1]
    stack = LocalStack(port).start()
    server.RequestHandlerClass.stack = stack
    STATE_DIR.mkdir(exist_ok=True)
    state = {"endpoint_url": stack.endpoint_url, "region": REGION, "target": dataclasses.asdict(stack.target),
             "environments": stack.environments}
    state_file(port).write_text(json.dumps(state))

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    base = f"http://127.0.0.1:{port}"
    print(
        f"""serverless-oidc local stack (emulated DynamoDB and Secrets Manager at {stack.endpoint_url})
  discovery: curl {base}/oidc/.well-known/openid-configuration
  token:     curl -X POST {base}/oidc/token -u {DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET} \\
               -d grant_type=password -d username=demo -d password={DEMO_PASSWORD} -d 'scope=openid profile email'
  admin:     .venv/bin/oidc-admin --local --port {port} user create --username alice
  Ctrl-C stops it.""",
        flush=True,
    )
    print(f"ready: {base}", flush=True)  # last, so whoever waits for it has everything above
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        stack.stop()
        state_file(port).unlink(missing_ok=True)
        print("stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000),
                        help="port to listen on; 0 picks a free one (the ready line names it)")
    serve(parser.parse_args(argv).port)


if __name__ == "__main__":
    main()
