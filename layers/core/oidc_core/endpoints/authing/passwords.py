"""A password a v3 call sets (sign-up, reset, change): decrypted as the token endpoint decrypts one
(`passwordEncryptType` none, rsa or sm2, to the keys /api/v3/system publishes), checked against the password policy,
and hashed with Argon2id at the stack's parameters.

A password the token endpoint cannot decrypt counts as a wrong one; a password to be set cannot be guessed at, so it
is a clear invalid_request. In the overlap after a key rotation a ciphertext is decrypted with both keys, and an RSA
PKCS#1 v1.5 decryption with the wrong key does not fail (implicit rejection gives pseudo-random bytes, sometimes
short, sometimes valid UTF-8). A password to be set must not be one of those: of several candidates only the ones that
could be a password at all (printable, and long enough for the policy) count, and unless exactly one does, the call
is refused rather than a guess stored.
"""

from __future__ import annotations

from oidc_core.config import Settings
from oidc_core.errors import invalid_request
from oidc_core.grants.password import submitted_password
from oidc_core.parameters import ParameterRequest
from oidc_core.passwords import hashing
from oidc_core.passwords.policy import MINIMUM_LENGTH, check_password_policy


def decrypted(sender: ParameterRequest, password: str | None, encrypt_type: str | None, settings: Settings) -> str:
    """The plain text of a password a call sends, or 400 invalid_request."""
    if not password or not isinstance(password, str):
        raise invalid_request("a password is required")
    request = ParameterRequest(parameters={"password": password, "password_encrypt_type": encrypt_type or "none"},
                               source_ip=sender.source_ip, user_agent=sender.user_agent)
    given = submitted_password(request, settings)
    candidates = [each for each in (given if isinstance(given, tuple) else (given,)) if each is not None]
    if len(candidates) > 1:
        candidates = [each for each in candidates if each.isprintable() and len(each) >= MINIMUM_LENGTH]
    if len(candidates) != 1:
        raise invalid_request("the password could not be decrypted: encrypt it to the key /api/v3/system publishes")
    return candidates[0]


def new_password_hash(password: str, identifiers, settings: Settings) -> str:
    """The Argon2id hash of a password that meets the policy; 400 invalid_request saying what it lacks otherwise."""
    try:
        check_password_policy(password, [each for each in identifiers if each])
    except ValueError as problem:
        raise invalid_request(str(problem)) from None
    return hashing.hash_password(password, settings.argon2)
