"""Every log line the test run produces, checked against every secret the run used (loaded by conftest.py).

Collected while the suite runs: the records of our loggers in this process (every field, extras included: what the
JSON log line is made of), and everything each `make dev` process printed. The secrets are taken from what went
over the wire: passwords, client secrets and tokens in request bodies and Authorization headers, and the tokens in
the answers. test_no_secret_in_any_log_line runs last and fails if one of them appears in any line.

Under pytest-xdist (make test) each worker is a process of its own with its own logs and secrets, and the last test
runs in one of them only: so each worker also audits itself when its session ends, and a leak there is an error at
teardown that fails the run. A secret is only ever logged by the process that handled it, so the per-worker audits
together cover every line.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from urllib.parse import parse_qsl, unquote_plus

import pytest

SECRET_PARAMETERS = ("password", "client_secret", "refresh_token", "access_token", "id_token", "token",
                     "id_token_hint", "code", "code_verifier", "csrf_token")
MINIMUM_LENGTH = 10  # shorter values ("nope", "password") match ordinary words by accident

_log_lines: list[str] = []
_secrets: set[str] = set()
_stacks: list = []


class _Collector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _log_lines.append(json.dumps(record.__dict__, default=str))


def _remember(value) -> None:
    if isinstance(value, str) and len(value) >= MINIMUM_LENGTH:
        _secrets.add(value)


def _remember_cookies(header: str | None) -> None:
    """The browser's cookies (a session's secret, the browser binding) are as secret as a token."""
    for pair in (header or "").split(";"):
        _remember(pair.partition("=")[2].strip())


def _remember_request(body: bytes | str | None, authorization: str | None) -> None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        parameters = json.loads(text) if text.lstrip().startswith("{") else dict(parse_qsl(text))
    except ValueError:
        parameters = {}
    if isinstance(parameters, dict):
        for name in SECRET_PARAMETERS:
            _remember(parameters.get(name))
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() == "bearer":
        _remember(credentials.strip())
    elif scheme.lower() == "basic":
        try:
            _remember(unquote_plus(base64.b64decode(credentials).decode().partition(":")[2]))
        except (binascii.Error, UnicodeDecodeError):
            pass


def _remember_answer(text: str) -> None:
    try:
        answer = json.loads(text)
    except ValueError:
        return
    if isinstance(answer, dict):
        for name in ("access_token", "id_token", "refresh_token", "client_secret"):
            _remember(answer.get(name))


@pytest.fixture(scope="session", autouse=True)
def collect_logs_and_secrets():
    import helpers
    import stack_process
    from oidc_tools.local import lambda_events

    # One collector each: Powertools puts a filter on the root logger's handlers that drops its own records there
    # (so they are not printed twice), and a shared collector would lose them.
    watched = [(logging.getLogger(), _Collector(level=logging.DEBUG)),
               (logging.getLogger("serverless-oidc"), _Collector(level=logging.DEBUG))]
    for logger, collector in watched:
        logger.addHandler(collector)

    patches = []

    def wrap(owner, name, before=None, after=None):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            if before:
                before(*args, **kwargs)
            result = original(*args, **kwargs)
            if after:
                after(result, *args, **kwargs)
            return result

        patches.append((owner, name, original))
        setattr(owner, name, wrapper)

    # Events the tests build in process: the request's secrets (wherever a module imported the builder by name).
    import aws_fixtures
    import browser_helpers

    def remember_event(*a, headers=None, body=b"", **k):
        sent = dict((name.lower(), value) for name, value in headers or [])
        _remember_request(body, sent.get("authorization"))
        _remember_cookies(sent.get("cookie"))

    for module in (lambda_events, helpers, aws_fixtures, browser_helpers):
        wrap(module, "http_api_event", before=remember_event)
    # Answers the tests read in process: the tokens.
    wrap(helpers.Reply, "__init__", after=lambda _, reply, *a, **k: _remember_answer(reply.text))
    # HTTP to a `make dev` process: both, and the process's output once it stopped.
    wrap(stack_process.RunningStack, "__init__", after=lambda _, stack, *a, **k: _stacks.append(stack))
    wrap(stack_process.RunningStack, "request",
         before=lambda stack, method, path, body=None, headers=None: _remember_request(
             body, {name.lower(): value for name, value in (headers or {}).items()}.get("authorization")),
         after=lambda result, *a, **k: _remember_answer(result[2].decode("utf-8", "replace")))
    yield
    for owner, name, original in patches:
        setattr(owner, name, original)
    for logger, collector in watched:
        logger.removeHandler(collector)
    if os.environ.get("PYTEST_XDIST_WORKER") and _secrets and _logged_lines():
        leaked = leaked_secrets()
        if leaked:
            pytest.fail(f"{len(leaked)} secrets appear in this worker's logs, e.g. one ending …{leaked[0][-6:]} in: "
                        f"{where_leaked(leaked[0])}")


def _logged_lines() -> list[str]:
    """Our loggers' records, and what each make dev printed after its ready line: before it comes the banner, which
    shows the demo client's and user's credentials on purpose (they are the local stack's documented fixtures)."""
    printed = []
    for stack in _stacks:
        ready = next((n for n, line in enumerate(stack.output) if line.startswith("ready: ")), -1)
        printed += stack.output[ready + 1:]
    return _log_lines + printed


def leaked_secrets() -> list[str]:
    lines = _logged_lines()
    assert lines, "no log line was collected: the collector is not working"
    assert _secrets, "no secret was seen going over the wire: the collector is not working"
    text = "\n".join(lines)
    return sorted(secret for secret in _secrets if secret in text)


def where_leaked(secret: str) -> list[str]:
    lines = _logged_lines()
    return [line[:300] for line in lines if secret in line][:3]
