"""The README's token-lifecycle block runs as written (bash, curl, jq) against a stack of its own."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from stack_process import ROOT, RunningStack


def answers(output: str) -> list:
    """What the block printed, one item per command: curl prints JSON bodies with no newline between them."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while position < len(output):
        if output[position].isspace():
            position += 1
        elif output[position] in "{[":
            value, position = decoder.raw_decode(output, position)
            found.append(value)
        else:
            line, _, rest = output[position:].partition("\n")
            found.append(line)
            position = len(output) - len(rest)
    return found


def lifecycle_block() -> str:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (block,) = [block for block in blocks if "grant_type=refresh_token" in block]
    return block


def test_the_readme_lifecycle_block():
    assert shutil.which("curl") and shutil.which("jq"), "the README's block needs curl and jq (see README: Two commands)"
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
