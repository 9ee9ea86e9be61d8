"""TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps, the only parameters every authenticator app reads alike.

The HOTP arithmetic (RFC 4226 §5.3: HMAC-SHA-1, dynamic truncation) is pyotp's: maintained, pure Python, checked
against the RFC's own vectors in tests/unit/test_totp.py, so none of it is written here. What pyotp does not do, and
this module does: a code is looked for in the steps now-1, now and now+1 only (RFC 6238 §5.2's one step of network
delay and clock drift each way), all three compared in constant time whichever matches, and the step that matched is
returned, so that the store can accept that step once per user and refuse it, or any older one, afterwards (§5.2:
"the verifier MUST NOT accept the second attempt of the OTP after the successful validation"). pyotp's own verify()
answers only yes or no, which cannot support that rule.

A new secret is 160 random bits (RFC 4226 §4 R6 recommends 160), shown once as base32 text, as an otpauth:// URI and
as its QR code, then kept only sealed (sealed_secrets) in the users table (store/factors.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pyotp

from oidc_core.factors.qr_code import qr_svg
from oidc_core.factors.sealed_secrets import Sealer
from oidc_core.store import factors as stored

DIGITS, PERIOD, SECRET_BITS = 6, 30, 160
# Steps either side of now that a code may come from (RFC 6238 §5.2 recommends at most one).
WINDOW = 1
_CODE = re.compile(r"[0-9]{%d}" % DIGITS)


def new_secret() -> str:
    """160 random bits as unpadded base32 (32 characters), the form authenticator apps take."""
    return pyotp.random_base32(length=SECRET_BITS // 5)


def _hotp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, digest=hashlib.sha1, interval=PERIOD)


def step_at(now: float) -> int:
    """RFC 6238 §4.2: T = floor((now - T0) / X), T0 = 0."""
    return int(now // PERIOD)


def code_at_step(secret: str, step: int) -> str:
    return _hotp(secret).generate_otp(step)


def provisioning_uri(secret: str, issuer: str, account: str) -> str:
    """otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30 (Google Authenticator's Key
    Uri Format). Every parameter is written out, though SHA1/6/30 are the defaults, so no app has to guess."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": PERIOD},
                      quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step within ±WINDOW of `now` whose code is `code`, or None. Every candidate is computed and compared
    in constant time, so the answer's timing says nothing about which step (or digit) matched."""
    code = code.strip() if isinstance(code, str) else ""
    if not _CODE.fullmatch(code):
        return None
    current = step_at(now)
    matched = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(code_at_step(secret, step).encode(), code.encode()):
            matched = step  # the latest step that matches: a code matching two steps is a 1-in-10^6 accident
    return matched


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows, once: never stored in clear, never logged (so none of it is in the repr)."""

    secret: str = field(repr=False)
    uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


def begin_enrolment(table: str, sealer: Sealer, sub: str, *, issuer: str, account: str,
                    qr_title: str) -> Enrolment:
    """A new secret, stored sealed as pending: it becomes the user's factor only when confirm_enrolment sees a code
    of it (until then an existing TOTP factor stays in force)."""
    secret = new_secret()
    stored.begin_totp_enrolment(table, sub, sealer.seal(sub, secret.encode("ascii")))
    uri = provisioning_uri(secret, issuer, account)
    return Enrolment(secret=secret, uri=uri, qr_svg=qr_svg(uri, qr_title))


def confirm_enrolment(table: str, sealer: Sealer, sub: str, code: str, now: float | None = None) -> bool:
    """True when `code` is a current code of the pending secret, which then replaces any earlier TOTP factor (the
    confirming code's step counts as used)."""
    now = time.time() if now is None else now
    factor, _ = stored.read_totp_and_recovery_codes(table, sub)
    if factor is None or factor.pending_secret is None:
        return False
    secret = sealer.open(sub, factor.pending_secret).decode("ascii")
    step = matching_step(secret, code, now)
    return step is not None and stored.confirm_totp_enrolment(table, sub, factor.pending_secret, step, int(now))


def check_code(table: str, sealer: Sealer, sub: str, code: str, now: float | None = None, *,
               factor: stored.TotpFactor | None = None) -> bool:
    """The challenge: True when `code` is the user's code within ±1 step and its step is later than any accepted
    before (then spent); False for a wrong code, a replay, or a user without an active TOTP factor.
    SealedSecretUnusable when the stored secret does not open for this user (an item tampered with): the caller
    logs it and answers as for a wrong code. `factor`: the item as the caller read it already (its key in the batch
    that reads the user, `store.factors.totp_key`), which saves a round trip; however stale, the write that spends
    the step still refuses a step taken meanwhile."""
    now = time.time() if now is None else now
    if factor is None:
        factor, _ = stored.read_totp_and_recovery_codes(table, sub)
    if factor is None or not factor.active:
        return False
    step = matching_step(sealer.open(sub, factor.sealed_secret).decode("ascii"), code, now)
    return step is not None and step > factor.last_step and stored.spend_totp_step(table, sub, step, int(now))
