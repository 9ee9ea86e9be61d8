"""Argon2id password hashes as PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash), via `cryptography`."""

from __future__ import annotations

import functools
import os
import re
import secrets

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from oidc_core.config import Argon2Parameters, Settings

_SALT_BYTES = 16
_HASH_BYTES = 32
# The whole string, matched with fullmatch: `$` would let a trailing newline through.
_PHC = re.compile(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+")


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
    match = _PHC.fullmatch(phc_hash or "")
    if not match:
        return None
    memory, iterations, lanes = (int(group) for group in match.groups())
    return Argon2Parameters(memory_kib=memory, iterations=iterations, lanes=lanes)


def needs_rehash(phc_hash: str, configured: Argon2Parameters) -> bool:
    stored = parameters_of(phc_hash)
    return stored is None or stored.weaker_than(configured)


@functools.lru_cache(maxsize=8)  # one per parameter set stored hashes use: a few at most
def _dummy_hash(parameters: Argon2Parameters) -> str:
    return hash_password(secrets.token_urlsafe(16), parameters)


# What a stored hash is: a user's password or a client's secret. Each kind remembers its own parameters below.
PASSWORD = "password"
CLIENT_SECRET = "client_secret"

# The Argon2id parameters of the last stored hash of each kind this container verified. After an operator raises the
# parameters, stored hashes keep the old ones until each is set again, so the configured parameters would make a
# missing user (or client) slower to check than a dormant one: the dummy costs what a stored hash costs instead. A
# hash above the cost ceiling is never noted here, so it cannot make every dummy verification expensive.
_stored_parameters: dict[str, Argon2Parameters] = {}


def dummy_parameters(configured: Argon2Parameters, kind: str = PASSWORD) -> Argon2Parameters:
    return _stored_parameters.get(kind, configured)


def verify_against_dummy(password: str, parameters: Argon2Parameters) -> None:
    """Spend the time of a real verification when there is no hash to check, so timing does not reveal that."""
    verify_password(password, _dummy_hash(parameters))


def _usable_parameters(phc_hash: str | None, settings: Settings) -> Argon2Parameters | None:
    parameters = parameters_of(phc_hash or "")
    return None if parameters is None or parameters.exceeds(settings.argon2_ceiling) else parameters


def usable(phc_hash: str, settings: Settings) -> bool:
    """Whether a stored hash is an Argon2id hash within the cost ceiling (otherwise it never matches)."""
    return _usable_parameters(phc_hash, settings) is not None


def verify_stored(password: str, phc_hash: str, settings: Settings, kind: str) -> bool:
    """Whether `password` matches a stored hash of `kind`. A hash that cannot be read or whose cost exceeds
    settings.argon2_ceiling never matches and is never computed (a dummy verification takes its place, so the
    answer costs what a wrong password costs), and its parameters never become the dummy's."""
    parameters = _usable_parameters(phc_hash, settings)
    if parameters is None:
        verify_against_dummy(password, dummy_parameters(settings.argon2, kind))
        return False
    matched = verify_password(password, phc_hash)
    _stored_parameters[kind] = parameters
    return matched


def spend_as_verifying(password: str, phc_hash: str | None, settings: Settings, kind: str) -> None:
    """The work verify_stored would do, without checking `password` against the hash: for an attempt with no hash to
    check (an unknown user or client) or that must not be checked (a locked account), so that its answer takes as
    long as a wrong password's."""
    parameters = _usable_parameters(phc_hash, settings) or dummy_parameters(settings.argon2, kind)
    verify_against_dummy(password, parameters)
