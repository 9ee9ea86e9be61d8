"""The password policy, the same wherever a password is set: by an operator (oidc-admin), at sign-up, at a reset and
at a change. At least 8 characters (NIST SP 800-63B §5.1.1.2), and not one of the user's own identifiers."""

from __future__ import annotations

MINIMUM_LENGTH = 8
MAXIMUM_LENGTH = 1024  # far beyond any passphrase; Argon2id takes any length, but a request body need not carry a book


def check_password_policy(password: str, identifiers, minimum_length: int = MINIMUM_LENGTH) -> None:
    """ValueError for a password shorter than the minimum, or equal to one of the user's own identifiers."""
    if len(password) < minimum_length:
        raise ValueError(f"a password needs at least {minimum_length} characters")
    if len(password) > MAXIMUM_LENGTH:
        raise ValueError(f"a password has at most {MAXIMUM_LENGTH} characters")
    folded = password.strip().casefold()
    if any(identifier and folded == identifier.strip().casefold() for identifier in identifiers):
        raise ValueError("a password may not be the user's own username, email or phone number")
