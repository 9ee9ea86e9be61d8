"""docs/moving-users.md: every `oidc-admin` command in its shell blocks runs as written against the `make dev` stack
(with `--local --port N` added, as a reader of the local stack adds it), on files of each format made as the sources
write them, and succeeds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest

from stack_process import ROOT, RunningStack

DOC = ROOT / "docs" / "moving-users.md"
FIREBASE_KEY = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="


def commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if "oidc-admin" in line]


def write_sources(directory: Path) -> None:
    stored = bcrypt.hashpw(b"pw-123456", bcrypt.gensalt(rounds=4)).decode()
    (directory / "authing-users.json").write_text(json.dumps({"statusCode": 200, "data": {"list": [
        {"userId": "6500000000000000000000a1", "username": "au1", "email": "au1@example.com", "status": "Activated"}]}}))
    (directory / "auth0-users.json").write_text(json.dumps([
        {"user_id": "auth0|5f7c8ec7c33c6c004bbafe82", "email": "a0@example.com", "password_hash": stored}]))
    (directory / "realm.json").write_text(json.dumps({"realm": "r", "users": [
        {"id": "kc-1", "username": "kc1", "enabled": True, "credentials": [{
            "type": "password", "secretData": json.dumps({"value": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                                                          "salt": "c2FsdHNhbHQ="}),
            "credentialData": json.dumps({"hashIterations": 27500, "algorithm": "pbkdf2-sha256"})}]}]}))
    (directory / "firebase-users.json").write_text(json.dumps({"users": [
        {"localId": "fb1", "email": "fb1@example.com", "salt": "42xEC+ixf3L2lw==",
         "passwordHash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="}]}))
    (directory / "users.jsonl").write_text(json.dumps({"sub": "42", "username": "alice", "password_hash": stored}) + "\n")


@pytest.fixture(scope="module")
def stack():
    stack = RunningStack()
    yield stack
    stack.stop()


def test_the_doc_has_the_commands_it_promises():
    found = " ".join(commands())
    for command in ("users import", "--format authing", "--format auth0", "--format keycloak", "--format firebase",
                    "--format native", "upstream set", "upstream show", "upstream off", "migration status"):
        assert command in found, command


def test_every_oidc_admin_command_of_the_doc_runs_as_written(stack, tmp_path):
    write_sources(tmp_path)
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                   "AUTHING_APP_SECRET": "the-app-secret", "BASE64_SIGNER_KEY": FIREBASE_KEY,
                   "BASE64_SALT_SEPARATOR": "Bw=="}
    environment.pop("AWS_ENDPOINT_URL", None)
    for command in commands():
        local = command.replace("oidc-admin ", f"oidc-admin --local --port {stack.port} ", 1)
        result = subprocess.run(["bash", "-c", f"set -o pipefail; {local}"], cwd=tmp_path, env=environment,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
        assert "the-app-secret" not in result.stdout
    status = subprocess.run(["oidc-admin", "--local", "--port", str(stack.port), "migration", "status"],
                            cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert json.loads(status.stdout)["waiting_for_upstream_login"] == 1
