"""The `node` fixture: encrypt.mjs run with the pinned JavaScript libraries (CI installs them with `npm ci`)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

INTEROP_DIR = Path(__file__).resolve().parent
NODE_MODULES = INTEROP_DIR / "node_modules"
JS_PACKAGES = ("jsencrypt", "node-forge", "sm-crypto", "openid-client", "openid-client-6", "authing-node-sdk")


def run_node(requests: list[dict]) -> list:
    """Run one batch through encrypt.mjs in a single node process; ciphertexts come back in request order."""
    completed = subprocess.run(
        ["node", str(INTEROP_DIR / "encrypt.mjs")],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        cwd=INTEROP_DIR,
        timeout=240,
    )
    if completed.returncode != 0:
        pytest.fail(f"encrypt.mjs exited with {completed.returncode}:\n{completed.stderr}", pytrace=False)
    results = json.loads(completed.stdout)
    assert len(results) == len(requests)
    return results


@pytest.fixture(scope="session")
def node():
    if shutil.which("node") is None:
        problem = "node is not on PATH"
    elif missing := [name for name in JS_PACKAGES if not (NODE_MODULES / name / "package.json").is_file()]:
        problem = f"{', '.join(missing)} missing from {NODE_MODULES}: run `npm ci` in tests/interop"
    else:
        return run_node
    if os.environ.get("SKIP_INTEROP") == "1":
        pytest.skip(f"JS interop tests skipped (SKIP_INTEROP=1): {problem}")
    pytest.fail(f"JS interop tests cannot run: {problem}. Set SKIP_INTEROP=1 to skip them.", pytrace=False)


