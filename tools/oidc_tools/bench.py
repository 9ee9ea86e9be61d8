"""`make bench`: what a login costs on this machine, figure by figure, each next to the Argon2id verification that
dominates it. Medians of repeated runs; nothing here asserts a threshold (timing belongs in figures, not tests)."""

from __future__ import annotations

import statistics
import time

from oidc_core import passwords
from oidc_core.config import OWASP_MINIMUM_ARGON2
from oidc_core.keys import SigningKey
from oidc_core.jwk import generate_rsa_private_key_pem, public_signing_jwk
from oidc_core.password_decryption import rsa as rsa_decryption
from oidc_core.password_decryption import sm2 as sm2_decryption


def median_ms(function, repeat: int) -> float:
    function()  # warm-up: first-call costs (imports, caches) are not what we measure
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _rsa_ciphertext(private_key, padding: str) -> str:
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding as asym_padding

    scheme = asym_padding.PKCS1v15() if padding == rsa_decryption.PKCS1_V15 else asym_padding.OAEP(
        mgf=asym_padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    return base64.b64encode(private_key.public_key().encrypt("correct horse battery".encode(), scheme)).decode()


def _sm2_ciphertext(key) -> str:
    """An SM2 C1C3C2 ciphertext made with gmssl (benchmark input only; the interop tests use sm-crypto)."""
    from gmssl import sm2

    public = key.public_key_hex[2:]
    crypt = sm2.CryptSM2(private_key=key.private_key_hex, public_key=public, mode=1)
    return crypt.encrypt("correct horse battery".encode()).hex()


def main() -> None:
    stored = passwords.hash_password("correct horse battery", OWASP_MINIMUM_ARGON2)
    argon2 = median_ms(lambda: passwords.verify_password("correct horse battery", stored), 15)

    import jwt
    from cryptography.hazmat.primitives import serialization

    private_key = serialization.load_pem_private_key(generate_rsa_private_key_pem().encode(), password=None)
    key = SigningKey(kid=public_signing_jwk(private_key)["kid"], private_key=private_key)
    claims = {"sub": "s", "iss": "https://auth.example.com/oidc", "aud": "app", "iat": 0, "exp": 3600}
    rs256 = median_ms(lambda: jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid}), 50)

    rsa_key = rsa_decryption.load_private_key(generate_rsa_private_key_pem(2048))
    pkcs1 = _rsa_ciphertext(rsa_key, rsa_decryption.PKCS1_V15)
    oaep = _rsa_ciphertext(rsa_key, rsa_decryption.OAEP_SHA256)
    rsa_pkcs1 = median_ms(lambda: rsa_decryption.decrypt_password(pkcs1, rsa_key, rsa_decryption.PKCS1_V15), 50)
    rsa_oaep = median_ms(lambda: rsa_decryption.decrypt_password(oaep, rsa_key, rsa_decryption.OAEP_SHA256), 50)
    sm2_key = sm2_decryption.generate_private_key()
    sm2_text = _sm2_ciphertext(sm2_key)
    sm2 = median_ms(lambda: sm2_decryption.decrypt_password(sm2_text, sm2_key), 30)

    rows = [
        ("Argon2id verify (m=19456 KiB, t=2, p=1)", argon2),
        ("RS256 sign (one JWT, RSA-2048)", rs256),
        ("RSA-2048 PKCS#1 v1.5 password decrypt", rsa_pkcs1),
        ("RSA-2048 OAEP-SHA256 password decrypt", rsa_oaep),
        ("SM2 password decrypt (C1C3C2)", sm2),
    ]
    print(f"{'median of repeated runs':45} {'ms':>9} {'x Argon2id':>11}")
    for name, value in rows:
        print(f"{name:45} {value:9.2f} {value / argon2:11.3f}")
    login = 2 * argon2 + 2 * rs256
    print(f"\na password login verifies two Argon2id hashes (client secret, user) and signs two JWTs: ~{login:.0f} ms;")
    print(f"encrypting the password adds {rsa_pkcs1:.2f} ms (RSA PKCS#1 v1.5) or {sm2:.2f} ms (SM2) to that.")


if __name__ == "__main__":
    main()
