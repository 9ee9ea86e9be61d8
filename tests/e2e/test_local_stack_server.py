"""The local stack's HTTP front, byte by byte: what API Gateway would answer to requests curl and browsers rarely send
(chunked bodies, HEAD, broken framing, odd methods, oversized heads), bursts of connections, and how it stops."""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from stack_process import ROOT, RunningStack, wait_until

DEMO_LOGIN = urlencode({"grant_type": "password", "client_id": "demo-client", "client_secret": "demo-secret",
                        "username": "demo", "password": "demo-password"}).encode()
JWKS = "/oidc/.well-known/jwks.json"


def exchange(port: int, request: bytes, *, timeout: float = 30) -> tuple[int, dict, bytes]:
    """Send raw bytes, read until the server closes the connection (it answers once per connection), and split the
    answer into status, headers (lower-case names) and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    return parse_answer(bytes(received))


def parse_answer(raw: bytes) -> tuple[int, dict, bytes]:
    head, separator, body = raw.partition(b"\r\n\r\n")
    assert separator, f"no complete answer: {raw[:200]!r}"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def request_bytes(method: str, path: str, headers: dict | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in
                                                               (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def assert_gateway_answer(answer, status: int, message: str) -> None:
    code, headers, body = answer
    assert code == status, answer
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"message": message}
    assert int(headers["content-length"]) == len(body)


@pytest.mark.parametrize("method, path", [
    ("GET", "/no/such/route"),
    ("TRACE", "/oidc/token"),
    ("PROPFIND", "/oidc/token"),
    ("get", JWKS),                      # methods are case-sensitive: this is not GET
    ("DELETE", "/oidc/token"),
    ("POST", JWKS),                     # a known path, a method it does not have: 404 on an HTTP API
    ("OPTIONS", "/oidc/token"),         # no Origin: not a CORS preflight, and no route takes OPTIONS
])
def test_what_no_route_takes_is_api_gateways_json_404(running_stack, method, path):
    assert_gateway_answer(exchange(running_stack.port, request_bytes(method, path)), 404, "Not Found")


def test_a_chunked_body_reaches_the_function(running_stack):
    chunks = [DEMO_LOGIN[:10], DEMO_LOGIN[10:37], DEMO_LOGIN[37:]]
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"
    status, headers, answer = exchange(running_stack.port, request_bytes("POST", "/oidc/token", {
        "Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"}, body))
    assert status == 200, answer
    assert json.loads(answer)["token_type"] == "Bearer"


@pytest.mark.parametrize("headers, body, status, message", [
    ({"Content-Length": "abc"}, DEMO_LOGIN, 400, "Bad Request"),
    ({"Content-Length": "1e3"}, DEMO_LOGIN, 400, "Bad Request"),
    ({"Content-Length": "-1"}, DEMO_LOGIN, 400, "Bad Request"),
    ({"Content-Length": "9" * 30}, DEMO_LOGIN, 413, "Request Entity Too Large"),
    ({"Content-Length": str(10 * 1024 * 1024 + 1)}, b"", 413, "Request Entity Too Large"),
    ({"Content-Length": str(len(DEMO_LOGIN) + 5)}, DEMO_LOGIN, 400, "Bad Request"),  # the client sends less
    ({"Transfer-Encoding": "chunked", "Content-Length": str(len(DEMO_LOGIN))}, DEMO_LOGIN, 400, "Bad Request"),
    ({"Transfer-Encoding": "gzip"}, DEMO_LOGIN, 400, "Bad Request"),
    ({"Transfer-Encoding": "chunked"}, b"zz\r\nnot a chunk\r\n0\r\n\r\n", 400, "Bad Request"),
], ids=["letters", "exponent", "negative", "30-digits", "over-10MB", "shorter-than-announced", "chunked-and-length",
        "gzip-coding", "bad-chunk"])
def test_broken_framing_is_refused_as_api_gateway_refuses_it(running_stack, headers, body, status, message):
    sent = request_bytes("POST", "/oidc/token", {"Content-Type": "application/x-www-form-urlencoded", **headers}, body)
    assert_gateway_answer(exchange(running_stack.port, sent), status, message)


def test_head_answers_the_gets_headers_without_a_body(running_stack):
    get_status, get_headers, get_body = exchange(running_stack.port, request_bytes("GET", JWKS))
    status, headers, body = exchange(running_stack.port, request_bytes("HEAD", JWKS))
    assert (get_status, status) == (200, 200)
    assert body == b""  # nothing after the head, so nothing can be taken for the start of another answer
    assert headers["content-length"] == get_headers["content-length"] == str(len(get_body))
    assert headers["content-type"] == get_headers["content-type"] == "application/json"


@pytest.mark.parametrize("request_line, status, message", [
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1", 414, "URI Too Long"),
    (b"GARBAGE", 400, "Bad Request"),
    (b"GET / HTTP/2.0", 505, "HTTP Version Not Supported"),
    (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000, 431, "Request Header Fields Too Large"),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % n for n in range(120)).rstrip(), 431,
     "Request Header Fields Too Large"),
], ids=["long-request-line", "garbage-request-line", "http2-version", "long-header", "120-headers"])
def test_requests_the_parser_refuses_get_json_too(running_stack, request_line, status, message):
    assert_gateway_answer(exchange(running_stack.port, request_line + b"\r\n\r\n"), status, message)


def test_a_hundred_connections_at_once_all_get_answers(running_stack):
    """The connections are all made while the stack is stopped (SIGSTOP), so the system must queue every one of them
    until it accepts: with socketserver's backlog of 5, the rest would wait for a SYN retry that never succeeds."""
    connections = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(100)]
    os.kill(running_stack.process.pid, signal.SIGSTOP)
    try:
        for connection in connections:
            connection.setblocking(False)
            assert connection.connect_ex(("127.0.0.1", running_stack.port)) in (0, errno.EINPROGRESS)

        def all_connected():
            _, writable, _ = select.select([], connections, [], 0.5)
            return len(writable) == len(connections) and all(
                connection.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for connection in connections)

        wait_until(all_connected, seconds=30, message="100 connections queued by the system")
        for connection in connections:
            connection.setblocking(True)
            connection.settimeout(60)
            connection.sendall(request_bytes("GET", JWKS))
    finally:
        os.kill(running_stack.process.pid, signal.SIGCONT)
    answers = []
    for connection in connections:
        with connection:
            received = bytearray()
            while chunk := connection.recv(65536):
                received += chunk
            answers.append(parse_answer(bytes(received))[0])
    assert answers == [200] * 100


def port_is_free(port: int) -> bool:
    """Another stack could listen on it now (TIME_WAIT leftovers of closed connections do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
        return True


def assert_stopped_cleanly(stack: RunningStack, code: int, output: str) -> None:
    assert "Traceback" not in output, output
    assert output.rstrip().endswith("stopped") or "\nstopped\n" in output, output
    assert not stack.state_file.exists()
    assert port_is_free(stack.port)
    assert code == 0 or stack.own_group, output  # make reports the signal it got itself


@pytest.mark.parametrize("signals", [
    (signal.SIGTERM,),
    (signal.SIGTERM, signal.SIGTERM),   # a process manager, then make forwarding the same signal
    (signal.SIGINT, signal.SIGINT),     # Ctrl-C pressed again while it cleans up
    (signal.SIGINT, signal.SIGTERM),
], ids=lambda signals: "+".join(signal.Signals(signum).name for signum in signals))
def test_stop_signals_end_it_cleanly(signals):
    stack = RunningStack()
    try:
        assert stack.state_file.exists()
        code, output = stack.stop_with(*signals)
        assert_stopped_cleanly(stack, code, output)
    finally:
        stack.stop()


def test_ctrl_c_stops_a_stack_started_in_the_background():
    """A shell starts background jobs with SIGINT ignored, which Python would keep: the stack must take it back."""
    stack = RunningStack(preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        code, output = stack.stop_with(signal.SIGINT)
        assert_stopped_cleanly(stack, code, output)
    finally:
        stack.stop()


def test_sigterm_to_make_dev_stops_it_cleanly():
    """A process manager stops `make dev` with SIGTERM to its process group: the stack gets it once from the manager
    and once more from make, which forwards it to its child."""
    stack = RunningStack(command=["make", "--no-print-directory", "dev", "PORT=0"], start_new_session=True)
    try:
        code, output = stack.stop_with(signal.SIGTERM, group=True)
        assert_stopped_cleanly(stack, code, output)
    finally:
        stack.stop()


def test_oidc_admin_pointed_at_the_wrong_port_names_the_running_one(running_stack):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        unused = probe.getsockname()[1]
    result = subprocess.run([sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(unused), "keys",
                             "rotate"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"oidc-admin: no local stack on port {unused}")
    assert "pass --port" in line and str(running_stack.port) in line
