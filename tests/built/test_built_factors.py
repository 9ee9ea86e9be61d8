"""The factors room as `sam build` packs it: with only the two layers on the path (python -I -S), a TOTP code of RFC
6238's vectors, the enrolment QR code, and a passkey registered and used through py_webauthn, so that a dependency
of the factors left out of DependenciesLayer (pyotp, segno, webauthn, cbor2, pyOpenSSL, pyasn1) fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_built_token_function import built  # noqa: F401  (the fixture: the host build, or a clear failure)

TESTS = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import base64, json, sys
build, tests = sys.argv[1:]
sys.path[:0] = [build + "/DependenciesLayer/python", build + "/CoreLayer/python", tests]
from oidc_core.factors import totp, webauthn
from oidc_core.factors.qr_code import qr_svg
from software_authenticator import SoftwareAuthenticator

secret = base64.b32encode(b"12345678901234567890").decode()
rp = webauthn.RelyingParty("localhost", "Example", "http://localhost:3000")
authenticator = SoftwareAuthenticator(rp_id=rp.id, origin=rp.origin)
handle = webauthn.new_user_handle()
options, challenge = webauthn.registration_options(rp, user_handle=handle, user_name="a", display_name="a", existing=[])
passkey = webauthn.verify_registration(rp, authenticator.create(options), challenge=challenge, sub="s", user_handle=handle)
options, challenge = webauthn.authentication_options(rp, None)
assertion = webauthn.verify_assertion(rp, authenticator.get(options), challenge=challenge, passkey=passkey,
                                      passwordless=True)
import pyotp, segno, webauthn as library, cbor2, OpenSSL
print(json.dumps({
    "code": totp.code_at_step(secret, totp.step_at(59)),
    "svg": qr_svg(totp.provisioning_uri(secret, "Example", "a"), "QR").startswith('<svg role="img"'),
    "sign_count": assertion.new_sign_count,
    "loaded_from": [module.__file__ for module in (pyotp, segno, library, cbor2, OpenSSL, totp)],
}))
"""


def test_the_built_layers_carry_everything_the_factors_need(built):  # noqa: F811
    result = subprocess.run([sys.executable, "-I", "-S", "-c", SCRIPT, str(built), str(TESTS)],
                            capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["code"] == "287082"  # RFC 6238 Appendix B, T = 59 s, SHA-1: 94287082
    assert output["svg"] and output["sign_count"] == 1
    assert all(path.startswith(str(built)) for path in output["loaded_from"]), output["loaded_from"]
