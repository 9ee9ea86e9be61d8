"""Password hashes imported from other identity systems: stored self-describing, verified until the first login.

A user imported from Auth0, Keycloak, Firebase or an application's own table keeps the password hash the source
made. It is stored as one string that names its algorithm and carries every parameter, so verifying it needs nothing
but the string and the password; the first successful login replaces it with Argon2id at the configured parameters
(grants/password.py, through the conditional write that upgrades weaker Argon2id hashes).

The grammar, PHC-like (https://github.com/P-H-C/phc-string-format): `$<scheme>$<name>=<value>,…$<field>$<field>…`,
each field in B64 (standard base64 alphabet, no padding; a field may be empty). The schemes:

    $2a$… $2b$… $2y$…                          bcrypt, as its modular crypt string ($2x$ is refused)
    $argon2id$v=19$m=M,t=T,p=P$<salt>$<hash>   Argon2 (also $argon2i$, $argon2d$), as the PHC reference writes it
    $pbkdf2-<d>$i=I,l=L$<salt>$<hash>          PBKDF2-HMAC, d = sha1 | sha256 | sha512, L = key length in bytes
    $scrypt$n=N,r=R,p=P,l=L$<salt>$<hash>      scrypt (RFC 7914), N the CPU/memory cost, L the key length in bytes
    $firebase-scrypt$r=R,m=M$<salt>$<separator>$<signer key>$<hash>
                                               Firebase's modified scrypt: scrypt(password, salt ‖ separator,
                                               N = 2^M, r = R, p = 1, 32 bytes) is the AES-256-CTR key (zero
                                               counter) that encrypts the project's signer key into the hash
    $<d>$pos=<where>,enc=<encoding>$<salt>$<hash>
                                               a plain digest of the salted password, d = md4 | md5 | sha1 | sha224 |
                                               sha256 | sha384 | sha512; where = prefix | suffix (the salt before or
                                               after the password; any value when the salt is empty)
    $hmac-<d>$pos=<where>,enc=<encoding>$<key>$<salt>$<hash>
                                               HMAC-<d> keyed with <key> over the salted password

`enc` is how the source turned the password into bytes: utf8, utf16le, or latin1 (each character's low byte, as
Node.js's `latin1`, `binary` and `ascii` encodings do). LDAP's RFC 2307 values ({SSHA}, {SHA256}, …) are stored as
the digest they are (from_ldap).

Cost guards: one ceiling bounds the real work of a verification, WORK_CEILING_MS (config.py), whatever the scheme:
2^cost for bcrypt, iterations × output blocks for PBKDF2 (the work multiplies by blocks: a 256-byte PBKDF2-SHA1 key
is 13 derivations), N·r·p for scrypt, memory × passes for Argon2, each turned into milliseconds by the cost of one
unit measured on one core (work_ms). A hash above it is refused at import with its reason (check_importable) and
never computed at login (it never matches). The default, 400 ms, admits what real exports hold (bcrypt 10–12,
Keycloak's PBKDF2-SHA512 at 210,000 and PBKDF2-SHA256 at 27,500, OWASP's PBKDF2-SHA256 at 600,000, Firebase's scrypt
at N=2^14, r=8) and refuses what no real system uses (bcrypt 13 and up, ten million PBKDF2 iterations, scrypt with
p=16 at N=2^14); the failed-login floor (login/credentials.py) is built on it. scrypt and Argon2 memory stay below the
Argon2id memory ceiling too (cost_ceiling).

A failed login must not tell an imported user from a native one (Django's CVE-2016-2513: a fast legacy hash made
the failure of a not-yet-upgraded account quicker to answer). So a mismatch, like an unreadable string or an empty
one (a user waiting for the lazy migration), also does the dummy Argon2id work a native user's check costs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2d, Argon2i, Argon2id

from oidc_core.config import WORK_CEILING_MS, Argon2Parameters, Settings
from oidc_core.passwords import hashing
from oidc_core.passwords.hash_strings import DIGESTS, UnusableHash, b64decode, digest_size
# The stored strings' builders, re-exported: the import readers and tests build them as imported.pbkdf2(…) and so on.
from oidc_core.passwords.hash_strings import (argon2, b64encode, firebase_scrypt, from_ldap,  # noqa: F401
                                              hmac_digest, pbkdf2, salted_digest, scrypt)

MAX_BCRYPT_COST = 31  # the grammar's bound ($2b$ has two digits); the work ceiling is far below it
CEILING_FACTOR = 4
# Milliseconds of one unit of each scheme's work on one core (x86-64, measured with `cryptography`, `bcrypt` and
# hashlib as the functions run them, rounded up): 2^cost for bcrypt, one PBKDF2 iteration of one output block, one
# N·r·p of scrypt, one KiB·pass of Argon2. Estimates that err high: a hash just under the ceiling costs at most it.
UNIT_MS = {"bcrypt": 0.08, "pbkdf2-sha1": 0.00026, "pbkdf2-sha256": 0.00031, "pbkdf2-sha512": 0.00066,
           "scrypt": 0.0004, "argon2": 0.0008}
# Bounds that keep a forged or broken string from asking for absurd work or sizes.
MAX_PARALLELISM = 16
MAX_KEY_BYTES = 256
MAX_ARGON2_ITERATIONS = 64

PBKDF2_DIGESTS = ("sha1", "sha256", "sha512")
PASSWORD_ENCODINGS = ("utf8", "utf16le", "latin1")
SALT_POSITIONS = ("prefix", "suffix")
BCRYPT_MAX_BYTES = 72  # what the originating libraries used of a password; bcrypt 5 refuses more instead


def cost_ceiling(settings) -> Argon2Parameters:
    """The most one imported hash may cost: the functions' Settings.argon2_ceiling (StoredHashCostFactor × the
    configured Argon2id parameters), or for the admin tool's Target, which knows the parameters but not the factor,
    the template's default factor."""
    if isinstance(settings, Settings):
        return settings.argon2_ceiling
    return settings.argon2.times(CEILING_FACTOR)


def _digest(name: str, data: bytes) -> bytes:
    if name == "md4":  # OpenSSL 3 no longer offers MD4 to hashlib; pycryptodomex (a runtime dependency) does
        from Cryptodome.Hash import MD4

        return MD4.new(data).digest()
    return hashlib.new(name, data).digest()


class _HmacMd4:
    """MD4 in the shape hmac.new expects as a digestmod (hashlib may not have it)."""

    digest_size = 16
    block_size = 64

    def __init__(self, data: bytes = b""):
        from Cryptodome.Hash import MD4

        self._md4 = MD4.new(data)

    def update(self, data: bytes) -> None:
        self._md4.update(data)

    def digest(self) -> bytes:
        return self._md4.digest()

    def copy(self) -> _HmacMd4:
        clone = _HmacMd4.__new__(_HmacMd4)
        clone._md4 = self._md4.copy()
        return clone


def password_bytes(password: str, encoding: str) -> bytes:
    if encoding == "utf8":
        return password.encode("utf-8", "surrogatepass")
    if encoding == "utf16le":
        return password.encode("utf-16-le", "surrogatepass")
    if encoding == "latin1":
        return bytes(ord(character) & 0xFF for character in password)
    raise UnusableHash(f"unknown password encoding {encoding!r}")


@dataclass(frozen=True)
class Parsed:
    scheme: str
    params: dict
    fields: tuple[bytes, ...]


_BCRYPT = re.compile(r"\$(2[aby])\$(\d\d)\$[./A-Za-z0-9]{53}")
_ARGON2 = re.compile(r"\$(argon2id|argon2i|argon2d)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)")
_PHC = re.compile(r"\$([a-z0-9-]+)\$([a-z]+=[A-Za-z0-9]+(?:,[a-z]+=[A-Za-z0-9]+)*)((?:\$[A-Za-z0-9+/]*)+)")
_FIELD_COUNT = {"pbkdf2": 2, "scrypt": 2, "firebase-scrypt": 4, "digest": 2, "hmac": 3}


def scheme_family(scheme: str) -> str:
    if scheme.startswith("pbkdf2-"):
        return "pbkdf2"
    if scheme.startswith("hmac-"):
        return "hmac"
    if scheme in DIGESTS:
        return "digest"
    return scheme


def _integer(params: dict, name: str, minimum: int = 1) -> int:
    value = params.get(name, "")
    if not value.isdigit() or int(value) < minimum:
        raise UnusableHash(f"parameter {name} must be an integer of at least {minimum}")
    return int(value)


def parse(stored: str) -> Parsed:
    """The scheme, parameters and fields of a stored string; UnusableHash for anything outside the grammar."""
    if not isinstance(stored, str) or not stored:
        raise UnusableHash("no password hash")
    bcrypt_match = _BCRYPT.fullmatch(stored)
    if bcrypt_match:
        return Parsed("bcrypt", {"cost": bcrypt_match.group(2)}, (stored.encode("ascii"),))
    argon2_match = _ARGON2.fullmatch(stored)
    if argon2_match:
        scheme, version, memory, iterations, lanes, salt, raw = argon2_match.groups()
        return Parsed(scheme, {"v": version, "m": memory, "t": iterations, "p": lanes},
                      (b64decode(salt), b64decode(raw)))
    if stored.startswith(("$2", "$argon2")):
        raise UnusableHash("not a bcrypt $2a$/$2b$/$2y$ string" if stored.startswith("$2")
                           else "not an Argon2 PHC string")
    match = _PHC.fullmatch(stored)
    if not match:
        raise UnusableHash("not a password hash string of the form $scheme$parameters$fields")
    scheme = match.group(1)
    params = dict(pair.split("=", 1) for pair in match.group(2).split(","))
    fields = tuple(b64decode(field) for field in match.group(3).split("$")[1:])
    family = scheme_family(scheme)
    if family not in _FIELD_COUNT:
        raise UnusableHash(f"unknown scheme {scheme!r}")
    if len(fields) != _FIELD_COUNT[family]:
        raise UnusableHash(f"{scheme} takes {_FIELD_COUNT[family]} fields, not {len(fields)}")
    return Parsed(scheme, params, fields)


def algorithm_of(stored: str) -> str:
    """The algorithm a stored string names (for `migration status`): argon2id, bcrypt, pbkdf2-sha256, …; `none` for
    a user without a password, `unreadable` for anything else."""
    if not stored:
        return "none"
    try:
        return parse(stored).scheme
    except UnusableHash:
        return "unreadable"


def _within_work_ceiling(what: str, milliseconds: float) -> None:
    if milliseconds > WORK_CEILING_MS:
        raise UnusableHash(f"{what} costs about {milliseconds:,.0f} ms, above the work ceiling of {WORK_CEILING_MS} ms")


def _check_bcrypt(parsed: Parsed, ceiling: Argon2Parameters) -> None:
    cost = int(parsed.params["cost"])
    if not 4 <= cost <= MAX_BCRYPT_COST:
        raise UnusableHash(f"bcrypt cost {cost} is outside 4..{MAX_BCRYPT_COST}")
    _within_work_ceiling(f"bcrypt cost {cost}", UNIT_MS["bcrypt"] * 2 ** cost)


def _check_argon2(parsed: Parsed, ceiling: Argon2Parameters) -> None:
    params, fields = parsed.params, parsed.fields
    if params["v"] != "19":
        raise UnusableHash("only Argon2 version 19 (0x13) is supported")
    memory, iterations, lanes = int(params["m"]), int(params["t"]), int(params["p"])
    if memory > ceiling.memory_kib:
        raise UnusableHash(f"Argon2 memory {memory} KiB is above the ceiling of {ceiling.memory_kib} KiB")
    if not 1 <= iterations <= min(ceiling.iterations, MAX_ARGON2_ITERATIONS) or not 1 <= lanes <= MAX_PARALLELISM:
        raise UnusableHash("Argon2 iterations or parallelism beyond the ceiling")
    _within_work_ceiling(f"Argon2 m={memory}, t={iterations}", UNIT_MS["argon2"] * memory * iterations)
    if memory < 8 * lanes or len(fields[0]) < 8 or not 4 <= len(fields[1]) <= MAX_KEY_BYTES:
        raise UnusableHash("Argon2 parameters out of range (memory under 8 × lanes, salt under 8 bytes, or hash "
                           "length)")


def _check_pbkdf2(parsed: Parsed, ceiling: Argon2Parameters) -> None:
    digest = parsed.scheme.removeprefix("pbkdf2-")
    if digest not in PBKDF2_DIGESTS:
        raise UnusableHash(f"PBKDF2 with {digest} is not supported ({', '.join(PBKDF2_DIGESTS)})")
    iterations, length = _integer(parsed.params, "i"), _integer(parsed.params, "l")
    if length != len(parsed.fields[1]) or length > MAX_KEY_BYTES:
        raise UnusableHash("the PBKDF2 key length does not match the hash")
    blocks = -(-length // hashlib.new(digest).digest_size)  # each output block is a derivation of its own
    _within_work_ceiling(f"PBKDF2 iterations {iterations} × {blocks} output blocks",
                         UNIT_MS[parsed.scheme] * iterations * blocks)


def _check_scrypt(parsed: Parsed, ceiling: Argon2Parameters) -> None:
    params, fields = parsed.params, parsed.fields
    if parsed.scheme == "scrypt":
        n, r, p, length = _integer(params, "n", 2), _integer(params, "r"), _integer(params, "p"), _integer(params, "l")
        if length != len(fields[1]) or length > MAX_KEY_BYTES:
            raise UnusableHash("the scrypt key length does not match the hash")
    else:
        m, r, p = _integer(params, "m"), _integer(params, "r"), 1
        if m > 30:
            raise UnusableHash(f"Firebase scrypt memory cost {m} is out of range")
        n = 2 ** m
        if len(fields[3]) != len(fields[2]) or not fields[2]:
            raise UnusableHash("the Firebase hash and the signer key differ in length")
    if n & (n - 1):
        raise UnusableHash("scrypt N must be a power of two")
    if p > MAX_PARALLELISM:
        raise UnusableHash(f"scrypt parallelism {p} is above {MAX_PARALLELISM}")
    _within_work_ceiling(f"scrypt N={n}, r={r}, p={p}", UNIT_MS["scrypt"] * n * r * p)
    memory_kib = 128 * n * r // 1024
    if memory_kib > ceiling.memory_kib:
        raise UnusableHash(f"scrypt memory {memory_kib} KiB is above the ceiling of {ceiling.memory_kib} KiB")


def _check_digest(parsed: Parsed, ceiling: Argon2Parameters) -> None:
    params, fields = parsed.params, parsed.fields
    digest = parsed.scheme.removeprefix("hmac-")
    if digest not in DIGESTS:
        raise UnusableHash(f"digest {digest} is not supported ({', '.join(DIGESTS)})")
    if params.get("enc") not in PASSWORD_ENCODINGS:
        raise UnusableHash(f"enc must be one of {', '.join(PASSWORD_ENCODINGS)}")
    if params.get("pos") not in SALT_POSITIONS:
        raise UnusableHash(f"pos must be one of {', '.join(SALT_POSITIONS)}")
    if len(fields[-1]) != digest_size(digest):
        raise UnusableHash(f"a {digest} hash is {digest_size(digest)} bytes")
    if scheme_family(parsed.scheme) == "hmac" and not fields[0]:
        raise UnusableHash("an HMAC hash needs its key")


_CHECKS = {"bcrypt": _check_bcrypt, "argon2id": _check_argon2, "argon2i": _check_argon2, "argon2d": _check_argon2,
           "pbkdf2": _check_pbkdf2, "scrypt": _check_scrypt, "firebase-scrypt": _check_scrypt,
           "digest": _check_digest, "hmac": _check_digest}


def _check(parsed: Parsed, ceiling: Argon2Parameters) -> None:
    """UnusableHash when the parameters are inconsistent or the verification would cost beyond the ceiling."""
    _CHECKS[scheme_family(parsed.scheme)](parsed, ceiling)


def check_importable(stored: str, settings) -> str:
    """The algorithm of a string fit to import; UnusableHash with the reason otherwise."""
    parsed = parse(stored)
    _check(parsed, cost_ceiling(settings))
    return parsed.scheme


def _salted(password: bytes, salt: bytes, position: str) -> bytes:
    return salt + password if position == "prefix" else password + salt


def _verify_parsed(password: str, parsed: Parsed) -> bool:
    scheme, params, fields, family = parsed.scheme, parsed.params, parsed.fields, scheme_family(parsed.scheme)
    if family == "bcrypt":
        import bcrypt

        return bcrypt.checkpw(password.encode("utf-8", "surrogatepass")[:BCRYPT_MAX_BYTES], fields[0])
    if scheme in ("argon2id", "argon2i", "argon2d"):
        kdf_class = {"argon2id": Argon2id, "argon2i": Argon2i, "argon2d": Argon2d}[scheme]
        kdf = kdf_class(salt=fields[0], length=len(fields[1]), iterations=int(params["t"]), lanes=int(params["p"]),
                        memory_cost=int(params["m"]))
        try:
            kdf.verify(password.encode("utf-8", "surrogatepass"), fields[1])
        except InvalidKey:
            return False
        return True
    if family == "pbkdf2":
        derived = hashlib.pbkdf2_hmac(scheme.removeprefix("pbkdf2-"), password.encode("utf-8", "surrogatepass"),
                                      fields[0], int(params["i"]), int(params["l"]))
        return hmac.compare_digest(derived, fields[1])
    if family == "scrypt":
        n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
        derived = hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=fields[0], n=n, r=r, p=p,
                                 maxmem=129 * n * r * p + 1024 * 1024, dklen=int(params["l"]))
        return hmac.compare_digest(derived, fields[1])
    if family == "firebase-scrypt":
        salt, separator, signer_key, expected = fields
        n, r = 2 ** int(params["m"]), int(params["r"])
        key = hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt + separator, n=n, r=r, p=1,
                             maxmem=129 * n * r + 1024 * 1024, dklen=32)
        encryptor = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
        return hmac.compare_digest(encryptor.update(signer_key) + encryptor.finalize(), expected)
    message = _salted(password_bytes(password, params["enc"]), fields[-2], params["pos"])
    if family == "digest":
        return hmac.compare_digest(_digest(scheme, message), fields[-1])
    digest = scheme.removeprefix("hmac-")
    mac = hmac.new(fields[0], message, _HmacMd4 if digest == "md4" else digest).digest()
    return hmac.compare_digest(mac, fields[-1])


def verify_foreign(password: str, stored: str, settings) -> bool:
    """The imported hash's own verification alone (no timing padding): False for a mismatch, an unreadable string
    or one beyond the cost ceiling, which is never computed."""
    try:
        parsed = parse(stored)
        _check(parsed, cost_ceiling(settings))
        return _verify_parsed(password, parsed)
    except (UnusableHash, ValueError, TypeError, MemoryError):
        return False


def is_native(stored: str) -> bool:
    return isinstance(stored, str) and stored.startswith("$argon2id$")


def verify(password: str, stored: str, settings) -> bool:
    """Whether `password` matches the user's stored hash, whatever its scheme, at the cost of a native check.

    A native Argon2id string is verified as it always was (within the ceiling). Anything else is verified by its own
    algorithm, and a mismatch then also does the dummy Argon2id work, so a failure costs at least what a native
    user's does: the answer's timing does not tell which accounts still hold an imported hash."""
    if is_native(stored):
        return hashing.verify_stored(password, stored, settings, hashing.PASSWORD)
    if verify_foreign(password, stored, settings):
        return True
    hashing.spend_as_verifying(password, None, settings, hashing.PASSWORD)
    return False


def usable(stored: str, settings) -> bool:
    """Whether a stored hash can ever match: a native one within the ceiling, or an imported one that parses and
    is within it."""
    if is_native(stored):
        return hashing.usable(stored, settings)
    try:
        _check(parse(stored), cost_ceiling(settings))
    except (UnusableHash, ValueError, TypeError):
        return False
    return True
