"""oidc-admin as an operator types at it, against a running `make dev`: Ctrl-C and Ctrl-D at a password prompt, a
password the policy refuses, and an error nobody expected each end with one line and a non-zero status, never a
stack trace."""

from __future__ import annotations

import json
import os
import socket
import uuid

import pytest

from stack_process import ROOT
from terminal import Terminal

ADMIN = str(ROOT / ".venv" / "bin" / "oidc-admin")
SECONDS = 60  # a deadline for a slow machine, not a measure


def admin_at_a_terminal(running_stack, *arguments: str, env: dict | None = None) -> Terminal:
    return Terminal([ADMIN, "--local", "--port", str(running_stack.port), *arguments], cwd=ROOT,
                    env={**os.environ, **(env or {})})


def after(shown: str, prompt: str) -> list[str]:
    """The lines shown after the prompt, without the terminal's echo of a control key (^C, ^D)."""
    rest = shown.split(prompt, 1)[1]
    return [line for line in rest.replace("^C", "").replace("^D", "").splitlines() if line.strip()]


def new_username() -> str:
    return f"terminal-{uuid.uuid4().hex[:12]}"


def test_ctrl_c_at_the_password_prompt_is_one_line_and_130(running_stack):
    terminal = admin_at_a_terminal(running_stack, "user", "create", "--username", new_username())
    terminal.read_until("Password: ", SECONDS)
    terminal.control("c")
    assert terminal.finish(SECONDS) == 130
    assert after(terminal.text(), "Password: ") == ["oidc-admin: interrupted"]


def test_ctrl_d_at_the_password_prompt_is_one_line_and_1(running_stack):
    terminal = admin_at_a_terminal(running_stack, "user", "create", "--username", new_username())
    terminal.read_until("Password: ", SECONDS)
    terminal.control("d")
    assert terminal.finish(SECONDS) == 1
    assert after(terminal.text(), "Password: ") == ["oidc-admin: no answer (end of input)"]


def test_ctrl_c_at_the_second_prompt_creates_nobody(running_stack):
    username = new_username()
    terminal = admin_at_a_terminal(running_stack, "user", "create", "--username", username)
    terminal.read_until("Password: ", SECONDS)
    terminal.write("a long enough passphrase\r")
    terminal.read_until("Password again: ", SECONDS)
    terminal.control("c")
    assert terminal.finish(SECONDS) == 130
    assert after(terminal.text(), "Password again: ") == ["oidc-admin: interrupted"]
    again = admin_at_a_terminal(running_stack, "user", "sign-out", "--username", username)
    assert again.finish(SECONDS) == 1 and f"no user with username '{username}'" in again.text()


def test_a_password_the_policy_refuses_is_refused_before_it_is_asked_again(running_stack):
    terminal = admin_at_a_terminal(running_stack, "user", "create", "--username", new_username())
    terminal.read_until("Password: ", SECONDS)
    terminal.write("short\r")
    assert terminal.finish(SECONDS) == 1
    assert "Password again" not in terminal.text()
    assert after(terminal.text(), "Password: ") == ["oidc-admin: a password needs at least 8 characters"]


def test_a_password_typed_twice_creates_the_user(running_stack):
    username = new_username()
    terminal = admin_at_a_terminal(running_stack, "user", "create", "--username", username)
    terminal.read_until("Password: ", SECONDS)
    terminal.write("a long enough passphrase\r")
    terminal.read_until("Password again: ", SECONDS)
    terminal.write("a long enough passphrase\r")
    assert terminal.finish(SECONDS) == 0
    assert json.loads(terminal.text().split("Password again: ", 1)[1])["username"] == username


@pytest.fixture
def broken_state_file():
    """A local stack's state file that lacks what oidc-admin reads from it, on a port held open here so that no
    stack of another test can be started on it meanwhile."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    state = ROOT / ".local-stack" / f"{port}.json"
    state.parent.mkdir(exist_ok=True)
    state.write_text(json.dumps({"pid": os.getpid(), "endpoint_url": "http://127.0.0.1:9", "target": {}}))
    try:
        yield port
    finally:
        state.unlink(missing_ok=True)
        holder.close()


def test_an_unexpected_error_is_one_line_unless_asked_for_the_trace(broken_state_file):
    terminal = Terminal([ADMIN, "--local", "--port", str(broken_state_file), "keys", "show"], cwd=ROOT,
                        env={**os.environ})
    assert terminal.finish(SECONDS) == 1
    lines = terminal.text().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("oidc-admin: unexpected ") and "OIDC_ADMIN_DEBUG=1 shows where" in lines[0]
    debug = Terminal([ADMIN, "--local", "--port", str(broken_state_file), "keys", "show"], cwd=ROOT,
                     env={**os.environ, "OIDC_ADMIN_DEBUG": "1"})
    assert debug.finish(SECONDS) == 1
    assert "Traceback (most recent call last)" in debug.text()
