"""The password-encryption examples of docs/authing-sdks.md work as written, against a running `make dev` stack."""

from __future__ import annotations

import os
import subprocess
import sys

from doc_blocks import block_with, page, section
from stack_process import ROOT


def example(language: str) -> str:
    return block_with(section(page("authing-sdks.md"), "## Password encryption (`password_encrypt_type`)"), language,
                      "/api/v3/system")


def test_python_client_example(running_stack):
    result = subprocess.run([sys.executable, "-c", example("python")], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "OIDC_BASE": running_stack.base})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["rsa Bearer 3600", "sm2 Bearer 3600"]


def test_browser_example_with_the_real_libraries(running_stack, node, tmp_path):
    """Run in node: what a bundler does with the two imports is done here with require, plus the `window`
    that JSEncrypt looks for in a browser."""
    code = example("js")
    code = code.replace('import JSEncrypt from "jsencrypt";', 'const JSEncrypt = require("jsencrypt");')
    code = code.replace('import { sm2 } from "sm-crypto";', 'const { sm2 } = require("sm-crypto");')
    code = code.replace('"http://127.0.0.1:3000"', f'"{running_stack.base}"')
    script = tmp_path / "example.mjs"
    script.write_text('import { createRequire } from "node:module";\n'
                      f'const require = createRequire("{ROOT}/tests/interop/");\n'
                      "globalThis.window ??= globalThis;\nglobalThis.self ??= globalThis;\n" + code)
    result = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["rsa 200 Bearer", "sm2 200 Bearer"]
