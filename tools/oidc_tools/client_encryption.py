"""What a client does to a password before sending it (password_encrypt_type rsa, sm2), in Python: a reference for
the tests and the benchmark. The interop tests use the real JavaScript libraries; the service never encrypts."""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from gmssl import sm3
from gmssl.sm2 import CryptSM2, default_ecc_table

from oidc_core.passwords.decryption.sm2 import C1C3C2

_SM2_ARITHMETIC = CryptSM2("", "")
_SM2_N = int(default_ecc_table["n"], 16)
_SM2_G = default_ecc_table["g"].lower()


def sm2_encrypt(plaintext: bytes, public_key_hex: str, mode: str = C1C3C2, k: int | None = None) -> str:
    """GM/T 0003.4 encryption as sm-crypto does it (no 04 on C1), with a chosen k for the edge cases."""
    k = k or secrets.randbelow(_SM2_N - 1) + 1
    c1 = _SM2_ARITHMETIC._kg(k, _SM2_G)
    shared = _SM2_ARITHMETIC._kg(k, public_key_hex[2:])
    t = bytes.fromhex(sm3.sm3_kdf(shared.encode(), len(plaintext)))
    c2 = bytes(m ^ s for m, s in zip(plaintext, t, strict=True)).hex()
    c3 = sm3.sm3_hash(list(bytes.fromhex(shared[:64]) + plaintext + bytes.fromhex(shared[64:])))
    return c1 + (c3 + c2 if mode == C1C3C2 else c2 + c3)


def rsa_encrypt(plaintext: str, public_key, oaep: bool = False) -> str:
    """What JSEncrypt (PKCS#1 v1.5) or an OAEP-SHA256 client sends: standard base64."""
    scheme = (padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
              if oaep else padding.PKCS1v15())
    return base64.b64encode(public_key.encrypt(plaintext.encode("utf-8"), scheme)).decode("ascii")
