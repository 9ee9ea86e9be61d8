"""A browser app on localhost (docs/browser-sign-in.md): `make dev` names the origins browsers may call it from, and
the page's `make dev PARAMETERS='CorsAllowedOrigins=…'` command, run as written (on a port the system picks), makes
the stack answer a preflight from the origins it lists, and no longer from the default ones it leaves out."""

from __future__ import annotations

import shlex

from doc_blocks import blocks_run_by
from stack_process import RunningStack

DEFAULT_ORIGINS = ("http://localhost:8080", "http://127.0.0.1:8080")  # what browser-sign-in.md promises


def parameters_command() -> list[str]:
    (block,) = blocks_run_by("tests/e2e/test_local_stack_cors_origins.py")
    return shlex.split(block.code, comments=True)


def allowed_origin(stack: RunningStack, origin: str) -> str | None:
    """What the API answers a browser's preflight for a token request from origin: the origin, or None (refused)."""
    status, headers, _ = stack.request("OPTIONS", "/oidc/token", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    return {name.lower(): value for name, value in headers.items()}.get("access-control-allow-origin")


def cors_line(stack: RunningStack) -> str:
    (line,) = [line.strip() for line in stack.output if line.strip().startswith("CORS:")]
    return line


def test_make_dev_prints_the_origins_it_allows(running_stack):
    assert cors_line(running_stack).startswith(f"CORS:      {', '.join(DEFAULT_ORIGINS)} ")
    assert "PARAMETERS='CorsAllowedOrigins=" in cors_line(running_stack)  # and how to change them
    for origin in DEFAULT_ORIGINS:
        assert allowed_origin(running_stack, origin) == origin
    assert allowed_origin(running_stack, "http://127.0.0.1:5173") is None


def test_the_pages_command_allows_the_origins_it_names_and_only_those():
    command = parameters_command()
    assert command[:2] == ["make", "dev"], command
    (assignment,) = [word for word in command if word.startswith("PARAMETERS=")]
    listed = assignment.removeprefix("PARAMETERS=CorsAllowedOrigins=").split(",")
    stack = RunningStack(command=[*command, "PORT=0", "--no-print-directory"], start_new_session=True)
    try:
        assert cors_line(stack).startswith(f"CORS:      {', '.join(listed)} ")
        for origin in listed:
            assert allowed_origin(stack, origin) == origin
        left_out = [origin for origin in DEFAULT_ORIGINS if origin not in listed]
        assert left_out, "the page's example shows that the list replaces the default"
        for origin in left_out:
            assert allowed_origin(stack, origin) is None
    finally:
        stack.stop()
