"""The key one-time codes are stored under (store.passcodes: HMAC-SHA256 of channel, address and code). Derived from
the audit key, a secret every function that sends or checks a code already holds, so a code sent by the self-service
function is the code the token function checks, and the table alone confirms no code."""

from __future__ import annotations

from oidc_core.login import audit

CODE_DIGEST_PURPOSE = "one-time code digests"


def digest_key() -> bytes:
    return audit.derived_key(CODE_DIGEST_PURPOSE)
