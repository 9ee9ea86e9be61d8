"""Recovery codes: ten single-use codes, shown once, kept only as digests (store/factors.py, `recovery#<sub>`).

A code is 12 characters of Crockford's base32 (no i, l, o, u: nothing to misread), 60 random bits, shown as
`xxxx-xxxx-xxxx`. Typing is forgiving the way Crockford's alphabet intends: case, spaces and hyphens do not matter,
and i/l read as 1, o as 0.

The digest is SHA-256 over the user's sub and the code, not a password hash: a code is random, not chosen, so what
protects it in a stolen table is its 60 bits, and the sub in the digest makes every user's codes a separate search
(about 2^56 hashes per user for one of ten codes, months of a GPU, and the password is still needed). A slow hash
would cost an Argon2id per stored code at each use, since the code does not say which of the ten it is.

Spending is one conditional write that removes the digest only if it is still there: of any number of requests
racing with one code, one succeeds. A new set is written over the old one in one put, which ends every old code.
"""

from __future__ import annotations

import hashlib
import secrets

from oidc_core.store import factors as stored

COUNT, LENGTH, GROUP = 10, 12, 4
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32, lower case
_READ_AS = str.maketrans({"i": "1", "l": "1", "o": "0", "-": None, " ": None})


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def formatted(code: str) -> str:
    return "-".join(code[start:start + GROUP] for start in range(0, LENGTH, GROUP))


def normalized(text: str) -> str | None:
    """The code someone typed, in canonical form; None if it cannot be a code."""
    if not isinstance(text, str) or len(text) > 4 * LENGTH:
        return None
    code = text.strip().lower().translate(_READ_AS)
    return code if len(code) == LENGTH and all(character in ALPHABET for character in code) else None


def digest(sub: str, code: str) -> str:
    return hashlib.sha256(b"serverless-oidc recovery code\0" + sub.encode() + b"\0" + code.encode()).hexdigest()


def new_set(table: str, sub: str, now: int | None = None) -> list[str]:
    """Ten new codes, formatted for reading, to show once; every code of the user's previous set stops working."""
    codes = set()
    while len(codes) < COUNT:
        codes.add(_new_code())
    stored.replace_recovery_codes(table, sub, {digest(sub, code) for code in codes}, now)
    return [formatted(code) for code in sorted(codes)]


def use(table: str, sub: str, text: str, now: int | None = None) -> bool:
    """True, once, for a code of the user's current set; False for anything else, a spent code included."""
    code = normalized(text)
    return code is not None and stored.spend_recovery_code(table, sub, digest(sub, code), now)


def left(table: str, sub: str) -> int:
    """How many codes of the current set are unused (0 when the user has none)."""
    _, codes = stored.read_totp_and_recovery_codes(table, sub)
    return codes.left if codes else 0
