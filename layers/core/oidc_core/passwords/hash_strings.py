"""The strings imported password hashes are stored as: the builders the import readers make them with, their base64
fields and the digests they may name (imported.py reads and verifies them; its docstring has the grammar)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

DIGESTS = ("md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512")


class UnusableHash(ValueError):
    """A stored string that cannot be verified here, with the reason (never the hash itself)."""


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    """B64 (with or without padding), strictly: any other character is an error."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise UnusableHash("a field is not base64") from None


def digest_size(name: str) -> int:
    return 16 if name == "md4" else hashlib.new(name).digest_size


# Builders: the import readers turn each source's fields into the stored string through these.

def pbkdf2(digest: str, iterations: int, salt: bytes, derived: bytes) -> str:
    return f"$pbkdf2-{digest}$i={iterations},l={len(derived)}${b64encode(salt)}${b64encode(derived)}"


def scrypt(n: int, r: int, p: int, salt: bytes, derived: bytes) -> str:
    return f"$scrypt$n={n},r={r},p={p},l={len(derived)}${b64encode(salt)}${b64encode(derived)}"


def firebase_scrypt(rounds: int, memory_cost: int, salt: bytes, separator: bytes, signer_key: bytes,
                    derived: bytes) -> str:
    return (f"$firebase-scrypt$r={rounds},m={memory_cost}${b64encode(salt)}${b64encode(separator)}"
            f"${b64encode(signer_key)}${b64encode(derived)}")


def salted_digest(digest: str, derived: bytes, salt: bytes = b"", position: str = "prefix",
                  encoding: str = "utf8") -> str:
    return f"${digest}$pos={position},enc={encoding}${b64encode(salt)}${b64encode(derived)}"


def hmac_digest(digest: str, key: bytes, derived: bytes, salt: bytes = b"", position: str = "prefix",
                encoding: str = "utf8") -> str:
    return f"$hmac-{digest}$pos={position},enc={encoding}${b64encode(key)}${b64encode(salt)}${b64encode(derived)}"


def argon2(variant: str, memory_kib: int, iterations: int, lanes: int, salt: bytes, derived: bytes) -> str:
    return f"${variant}$v=19$m={memory_kib},t={iterations},p={lanes}${b64encode(salt)}${b64encode(derived)}"


# RFC 2307 / OpenLDAP schemes: {S…} ones carry the salt after the digest inside the base64 value.
_LDAP_SCHEMES = {"SHA": "sha1", "SSHA": "sha1", "MD5": "md5", "SMD5": "md5", "SHA256": "sha256", "SSHA256": "sha256",
                 "SHA384": "sha384", "SSHA384": "sha384", "SHA512": "sha512", "SSHA512": "sha512"}


def from_ldap(value: str) -> str:
    """An LDAP userPassword value ({SSHA}base64(digest ‖ salt), {SHA}…) as the salted digest it is."""
    match = re.fullmatch(r"\{([A-Za-z0-9]+)\}([A-Za-z0-9+/=]+)", value.strip())
    if not match or match.group(1).upper() not in _LDAP_SCHEMES:
        raise UnusableHash(f"not an LDAP password value of a supported scheme ({', '.join(_LDAP_SCHEMES)})")
    label, raw = match.group(1).upper(), b64decode(match.group(2))
    digest = _LDAP_SCHEMES[label]
    size = digest_size(digest)
    salted = label.startswith("SS") or label == "SMD5"
    if len(raw) < size or (not salted and len(raw) != size):
        raise UnusableHash(f"an LDAP {label} value has the wrong length")
    return salted_digest(digest, raw[:size], raw[size:], "suffix")
