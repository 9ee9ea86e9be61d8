"""docs/token-endpoint.md's token-lifecycle block runs as written (bash, curl, jq) against a stack of its own."""

from __future__ import annotations

import shutil
import subprocess

from doc_blocks import answers, block_with, page, section
from stack_process import RunningStack


def lifecycle_block() -> str:
    return block_with(section(page("token-endpoint.md"), "## The token lifecycle"), "bash", "grant_type=refresh_token")


def test_the_token_lifecycle_block():
    assert shutil.which("curl") and shutil.which("jq"), "the block needs curl and jq (docs/getting-started.md)"
    stack = RunningStack()  # its own: the block signs demo out of demo-client, which other tests log in with
    try:
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", lifecycle_block()], capture_output=True, text=True,
                                timeout=120, env={"PATH": "/usr/bin:/bin", "BASE": stack.base})
    finally:
        stack.stop()
    assert result.returncode == 0, result.stderr
    printed = answers(result.stdout)
    assert len(printed) == 11, printed
    assert all(answer["preferred_username"] == "demo" for answer in printed[:3])
    active_access, active_refresh = printed[3], printed[4]
    assert active_access["active"] is True and active_access["token_type"] == "Bearer"
    assert active_refresh["active"] is True
    assert printed[5] == "200"
    assert printed[6] == {"active": False}
    assert printed[7]["scope"] == "demo:read" and printed[7]["rejected_scope"] == "orders:write"
    assert "refresh_token" in printed[8]
    assert printed[9] == "302 http://localhost:8080/signed-out?state=af0ifjsldkj"
    assert printed[10]["error"] == "invalid_grant"
