"""The two examples of README.md's "Using Authing's SDKs" work as written, with the pinned SDKs, against a running
`make dev` stack: the Python one as a script, the Node one as an ES module run from tests/interop (where node finds
authing-node-sdk and sm-crypto), with only the base URL changed."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from interop.conftest import INTEROP_DIR
from stack_process import ROOT


def sdk_example(language: str, package: str) -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Using Authing's SDKs\n", 1)[1].split("\n## ", 1)[0]
    (example,) = [block for block in re.findall(rf"```{language}\n(.*?)```", section, re.S) if package in block]
    return example


def test_python_sdk_example(running_stack):
    result = subprocess.run([sys.executable, "-c", sdk_example("python", "from authing import")],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "OIDC_BASE": running_stack.base})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "400 invalid_grant invalid credentials provided", "200 Bearer 3600", "demo@example.com", "True", "False"]


def test_node_sdk_example(running_stack, node):
    example = sdk_example("js", '"authing-node-sdk"')
    assert '"http://127.0.0.1:3000"' in example
    result = subprocess.run(["node", "--input-type=module"], cwd=INTEROP_DIR, capture_output=True, text=True,
                            timeout=120, input=example.replace('"http://127.0.0.1:3000"', f'"{running_stack.base}"'))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "400 invalid_grant invalid credentials provided", "200 Bearer 3600", "demo@example.com", "true",
        "302 http://localhost:8080/signed-out?state=af0ifjsldkj"]
