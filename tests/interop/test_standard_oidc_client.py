"""A standard OIDC relying party library (openid-client for node) accepts our discovery document, JWKS and tokens."""

from __future__ import annotations

import json
import subprocess

from interop.conftest import INTEROP_DIR


def test_openid_client_discovers_logs_in_and_validates_the_id_token(running_stack, node):
    result = subprocess.run(["node", str(INTEROP_DIR / "oidc_client.mjs"), f"{running_stack.base}/oidc"],
                            capture_output=True, text=True, cwd=INTEROP_DIR, timeout=120)
    assert result.returncode == 0, result.stderr
    validated = json.loads(result.stdout)
    assert validated["issuer"] == f"{running_stack.base}/oidc"
    assert validated["claims"]["email"] == "demo@example.com"
    assert validated["claims"]["aud"] == "demo-client"
    assert validated["expires_in"] == 3600 and validated["has_refresh_token"] is True
