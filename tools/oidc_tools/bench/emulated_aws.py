"""The AWS the bench measures against: a moto server in a process of its own (so its CPU is not the handler's), and
the call log that counts a request's AWS calls and round trips with botocore's hooks."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

REGION = "us-east-1"


# -- the emulator, in a process of its own -----------------------------------------------------------------------------

def serve_emulator() -> None:
    """Run in the emulator's process: moto's WSGI application, with the project's fixes
    (tools/oidc_tools/local/emulator.py), behind a threaded HTTP/1.1 server that keeps connections open as AWS's
    endpoints do. (moto's own server is werkzeug's development server, which closes every connection after one
    answer: the bench would then count a TCP connect and close per AWS call that a warm Lambda container does not
    make.) Prints its port; stops when its standard input closes (the bench ended, however it ended)."""
    import http.server
    from urllib.parse import unquote

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from oidc_tools.local.emulator import fix_moto

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
    serve = "from oidc_tools.bench.emulated_aws import serve_emulator; serve_emulator()"
    process = subprocess.Popen([sys.executable, "-c", serve],
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
