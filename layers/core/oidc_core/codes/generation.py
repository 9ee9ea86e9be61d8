"""The codes themselves: 6 decimal digits, each of the million equally likely, from the operating system's CSPRNG."""

from __future__ import annotations

import secrets

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def looks_like_a_code(value: object) -> bool:
    """Exactly 6 ASCII digits (str.isdigit would take any script's digits, and full-width ones)."""
    return isinstance(value, str) and len(value) == CODE_DIGITS and value.isascii() and value.isdigit()
