"""The two examples of docs/authing-sdks.md's "Using Authing's SDKs" work as written, with the pinned SDKs, against a
running `make dev` stack: the Python one as a script, the Node one as an ES module run from tests/interop (where node
finds authing-node-sdk and sm-crypto), with only the base URL changed. And what they import is what the page says to
install."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

from doc_blocks import block_with, page, section
from interop.conftest import INTEROP_DIR


def sdk_example(language: str, package: str) -> str:
    return block_with(section(page("authing-sdks.md"), "## Using Authing's SDKs"), language, package)


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


def installed_by(line: str, command: str) -> set[str]:
    """The package names a `pip install …` or `npm i …` names, without versions."""
    words = line.split(command, 1)[1].split()
    return {re.split(r"==|(?<=.)@", word)[0] for word in words}


def test_the_python_example_installs_every_package_it_imports():
    """A fresh virtual environment with what the page names runs the example: cryptography was missing once."""
    example = sdk_example("python", "from authing import")
    imported = {node.module.split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
                for node in ast.walk(ast.parse(example)) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    third_party = imported - set(sys.stdlib_module_names)
    (install,) = re.findall(r"`(pip install authing[^`]*)`", section(page("authing-sdks.md"), "## Using Authing's SDKs"))
    assert third_party <= installed_by(install, "pip install"), install
    assert third_party <= installed_by(example, "pip install"), "the import's comment names them too"


def test_the_node_example_says_it_is_an_es_module_and_installs_what_it_imports():
    example = sdk_example("js", '"authing-node-sdk"')
    imported = set(re.findall(r'^import .* from "([^"]+)";', example, re.M))
    assert imported <= installed_by(example, "npm i"), imported
    text = section(page("authing-sdks.md"), "## Using Authing's SDKs")
    assert "ES module" in text and ".mjs" in text and '"type": "module"' in text
    engines = (INTEROP_DIR / "package.json").read_text()
    (minimum,) = re.findall(r'"node": ">=(\d+)"', engines)
    assert f"Node.js ≥ {minimum}" in text and f"Node.js >= {minimum}" in example
