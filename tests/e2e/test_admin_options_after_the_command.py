"""`oidc-admin` against the running `make dev` with --local and --port where a newcomer types them, after the command
(docs/moving-users.md and browser-sign-in.md write them so), as well as before it; read-only commands, so the shared
stack is left as it was."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stack_process import ROOT


def admin(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oidc_tools.admin", *argv], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


@pytest.mark.parametrize("where", ["after", "before", "split"])
def test_the_local_stack_is_found_wherever_local_and_port_are_typed(running_stack, where):
    port = str(running_stack.port)
    argv = {"after": ["user", "show", "--username", "demo", "--local", "--port", port],
            "before": ["--local", "--port", port, "user", "show", "--username", "demo"],
            "split": ["--port", port, "user", "show", "--username", "demo", "--local"]}[where]
    shown = admin(*argv)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["username"] == "demo"


def test_listing_the_local_stacks_clients_after_the_command(running_stack):
    listed = admin("client", "list", "--local", "--port", str(running_stack.port))
    assert listed.returncode == 0, listed.stderr
    assert "demo-client" in [client["client_id"] for client in json.loads(listed.stdout)["clients"]]

