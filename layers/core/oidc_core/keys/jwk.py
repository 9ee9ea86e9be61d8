"""RSA signing keys as JWKs, with RFC 7638 thumbprints as stable key ids."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def generate_rsa_private_key_pem(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def thumbprint(public_jwk: dict) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace; base64url without padding."""
    required = {name: public_jwk[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode("ascii")
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode("ascii")


def public_signing_jwk(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> dict:
    public_key = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": thumbprint(jwk), "n": jwk["n"], "e": jwk["e"]}
