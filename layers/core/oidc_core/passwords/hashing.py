"""Argon2id password hashes as PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash), via `cryptography`."""

from __future__ import annotations

import functools
import os
import re
import secrets

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from oidc_core.config import Argon2Parameters

_SALT_BYTES = 16
_HASH_BYTES = 32
_PHC_PARAMETERS = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def hash_password(password: str, parameters: Argon2Parameters) -> str:
    kdf = Argon2id(
        salt=os.urandom(_SALT_BYTES),
        length=_HASH_BYTES,
        iterations=parameters.iterations,
        lanes=parameters.lanes,
        memory_cost=parameters.memory_kib,
    )
    return kdf.derive_phc_encoded(password.encode("utf-8"))


def verify_password(password: str, phc_hash: str) -> bool:
    """True when the password matches; False for a mismatch or an unreadable hash (never raises for bad input)."""
    try:
        Argon2id.verify_phc_encoded(password.encode("utf-8", "surrogatepass"), phc_hash)
    except (InvalidKey, ValueError, TypeError):
        return False
    return True


def parameters_of(phc_hash: str) -> Argon2Parameters | None:
    match = _PHC_PARAMETERS.match(phc_hash or "")
    if not match:
        return None
    memory, iterations, lanes = (int(group) for group in match.groups())
    return Argon2Parameters(memory_kib=memory, iterations=iterations, lanes=lanes)


def needs_rehash(phc_hash: str, configured: Argon2Parameters) -> bool:
    stored = parameters_of(phc_hash)
    return stored is None or stored.weaker_than(configured)


@functools.cache
def _dummy_hash(parameters: Argon2Parameters) -> str:
    return hash_password(secrets.token_urlsafe(16), parameters)


# The Argon2id parameters of the last real user's hash this container verified. After an operator raises the
# parameters, stored hashes keep the old ones until each user logs in again, so the configured parameters would
# make a missing user slower to check than a dormant one: the dummy costs what a stored hash costs instead.
_stored_parameters: list[Argon2Parameters] = []


def note_stored_hash(phc_hash: str) -> None:
    parameters = parameters_of(phc_hash)
    if parameters is not None:
        _stored_parameters[:] = [parameters]


def dummy_parameters(configured: Argon2Parameters) -> Argon2Parameters:
    return _stored_parameters[0] if _stored_parameters else configured


def verify_against_dummy(password: str, parameters: Argon2Parameters) -> None:
    """Spend the time of a real verification when there is no hash to check, so timing does not reveal that."""
    verify_password(password, _dummy_hash(parameters))
