"""SM2 password decryption (password_encrypt_type=sm2), GM/T 0003.4 public key encryption.

Clients use sm-crypto's sm2.doEncrypt(password, publicKeyHex, cipherMode): lowercase hex, C1 as bare X||Y
without the 04 marker, C1C3C2 unless cipherMode is 0. gmssl supplies the curve arithmetic and SM3 only: its
decrypt() never checks C3, its constructor strips a "04" key prefix with lstrip("04") and its encrypt() draws
k from `random`, so the checks are done here and gmssl's encrypt/decrypt are never called.
"""

import hmac
import re
import secrets
from dataclasses import dataclass, field
from functools import cached_property

from gmssl import sm3
from gmssl.sm2 import CryptSM2, default_ecc_table

from . import DecryptionFailed
from .plaintext import decode_password_bytes

C1C3C2 = "c1c3c2"  # sm-crypto cipherMode 1, its default
C1C2C3 = "c1c2c3"  # sm-crypto cipherMode 0

# Pure-Python SM3 costs about 35 ms per KiB of key stream, so an unbounded C2 would be a cheap way to burn
# Lambda time. 1 KiB is far above any real password.
MAX_PASSWORD_BYTES = 1024

_C1_BYTES, _C3_BYTES = 64, 32
_P = int(default_ecc_table["p"], 16)
_N = int(default_ecc_table["n"], 16)
_A = int(default_ecc_table["a"], 16)
_B = int(default_ecc_table["b"], 16)
_G = default_ecc_table["g"].lower()

# Used only for its point arithmetic (_kg: double-and-add over 128-hex-char points); it holds no key.
_ARITH = CryptSM2(private_key="", public_key="")

_PRIVATE_KEY = re.compile(r"[0-9a-f]{64}")
_HEX = re.compile(r"[0-9a-fA-F]*")  # bytes.fromhex alone would also accept spaces between bytes


def _multiply(k: int, point_hex: str) -> str | None:
    """k * point as 128 hex chars X||Y, None for the point at infinity.

    gmssl's double-and-add never meets the point at infinity or doubles through an addition as long as the
    point is on the curve and 1 <= k < n, which every caller guarantees.
    """
    return _ARITH._kg(k, point_hex)


@dataclass(frozen=True)
class Sm2PrivateKey:
    private_key_hex: str = field(repr=False)  # keep the key out of logs and tracebacks

    def __post_init__(self) -> None:
        if not (
            isinstance(self.private_key_hex, str)
            and _PRIVATE_KEY.fullmatch(self.private_key_hex)
            and 1 <= int(self.private_key_hex, 16) < _N
        ):
            raise ValueError("an SM2 private key is 64 lowercase hex characters encoding 1 <= d < n")

    @cached_property
    def public_key_hex(self) -> str:
        """Uncompressed point "04" + X + Y, the form sm-crypto's doEncrypt and Authing's /api/v3/system use."""
        return "04" + _multiply(int(self.private_key_hex, 16), _G)


def load_private_key(private_key_hex: str) -> Sm2PrivateKey:
    return Sm2PrivateKey(private_key_hex.strip().lower())


def generate_private_key() -> Sm2PrivateKey:
    return Sm2PrivateKey(f"{secrets.randbelow(_N - 1) + 1:064x}")


def _on_curve(body: bytes) -> bool:
    x, y = int.from_bytes(body[:32]), int.from_bytes(body[32:_C1_BYTES])
    return x < _P and y < _P and (y * y - (x * x * x + _A * x + _B)) % _P == 0


def _split_c1(data: bytes) -> tuple[str, bytes] | None:
    """Return (C1 as hex X||Y, the rest), or None if C1 is not a point on the curve.

    sm-crypto sends bare X||Y, other clients put the 04 marker in front. The length cannot tell them apart
    (C2 is as long as the password) and a bare X starts with 04 one time in 256, so take the reading whose C1
    is on the curve: a wrong reading lands on it with probability about 2^-256. The on-curve check also rules
    out the point at infinity (which has no X||Y form), and SM2's cofactor is 1, so every point on the curve
    is in the order-n group and there is no small-subgroup case to check.
    """
    readings = (data, data[1:]) if data[0] == 0x04 else (data,)
    for body in readings:
        if _on_curve(body):
            return body[:_C1_BYTES].hex(), body[_C1_BYTES:]
    return None


def _parts(ciphertext: str, mode: str) -> tuple[str, bytes, bytes]:
    """(C1 as hex X||Y, C3, C2) of a ciphertext as sm-crypto sends it; DecryptionFailed if it is not one."""
    if mode not in (C1C3C2, C1C2C3):
        raise ValueError(f"unknown SM2 cipher mode {mode!r}")  # configuration error, not client input
    text = ciphertext.strip()
    if text[:4].lower() == "sm2:":
        text = text[4:]
    if len(text) % 2 or not _HEX.fullmatch(text):
        raise DecryptionFailed("bad_hex")
    data = bytes.fromhex(text)
    if len(data) < _C1_BYTES + _C3_BYTES + 1:  # C2 is at least one byte: an empty password is no password
        raise DecryptionFailed("bad_length")

    split = _split_c1(data)
    if split is None:
        raise DecryptionFailed("not_on_curve")
    c1, rest = split
    if not 1 <= len(rest) - _C3_BYTES <= MAX_PASSWORD_BYTES:
        raise DecryptionFailed("bad_length")
    if mode == C1C3C2:
        return c1, rest[:_C3_BYTES], rest[_C3_BYTES:]
    return c1, rest[-_C3_BYTES:], rest[:-_C3_BYTES]


def decrypt_password(ciphertext: str, key: Sm2PrivateKey, mode: str = C1C3C2) -> str:
    c1, c3, c2 = _parts(ciphertext, mode)
    shared = _multiply(int(key.private_key_hex, 16), c1)  # (x2, y2) = d * C1
    if shared is None:  # unreachable for an on-curve C1 and 1 <= d < n; kept as a guard
        raise DecryptionFailed("not_on_curve")
    # GM/T 0003.4 has the decryptor refuse an all-zero key stream t, but sm-crypto never draws another k when
    # it meets one, so 1 in 256 one-byte passwords (1 in 2^64 of eight bytes) arrive that way. C3 still
    # authenticates them, and refusing would not un-send a password that went out in the clear: accept.
    t = bytes.fromhex(sm3.sm3_kdf(shared.encode("ascii"), len(c2)))
    message = bytes(c ^ k for c, k in zip(c2, t, strict=True))
    x2y2 = bytes.fromhex(shared)
    # sm3_hash takes a list of ints and appends its padding to it, so it gets a fresh list.
    u = bytes.fromhex(sm3.sm3_hash(list(x2y2[:32] + message + x2y2[32:])))
    if not hmac.compare_digest(u, c3):
        raise DecryptionFailed("c3_mismatch")
    return decode_password_bytes(message)


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _der_integer(value: int) -> bytes:
    # Non-negative, minimal two's complement: a leading zero byte exactly when the top bit would be set.
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def kms_ciphertext(ciphertext: str, mode: str = C1C3C2) -> bytes:
    """The ciphertext in the DER form KMS's SM2PKE decrypts (GM/T 0009 SM2Cipher):
    SEQUENCE { XCoordinate INTEGER, YCoordinate INTEGER, HASH OCTET STRING (C3), CipherText OCTET STRING (C2) }.
    The same checks as decrypt_password come first, so KMS is never asked about what cannot be a ciphertext."""
    c1, c3, c2 = _parts(ciphertext, mode)
    x, y = int(c1[:64], 16), int(c1[64:], 16)
    return _der(0x30, _der_integer(x) + _der_integer(y) + _der(0x04, c3) + _der(0x04, c2))


def public_key_hex_of(point: bytes) -> str:
    """An uncompressed point (04 || X || Y) as sm-crypto's public key hex; ValueError if it is not on the curve."""
    if len(point) != 1 + _C1_BYTES or point[0] != 0x04 or not _on_curve(point[1:]):
        raise ValueError("not an uncompressed SM2 point")
    return point.hex()
