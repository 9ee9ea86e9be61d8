"""GET /api/v3/system: the public keys clients built for Authing encrypt passwords to, in Authing's shape
(`data[encryptType].publicKey` is what Authing's SDKs read), plus which RSA padding and SM2 mode are in force."""

from __future__ import annotations

from oidc_core import __version__
from oidc_core.config import Settings
from oidc_core.keys.keyring import published_password_keys

# sm-crypto's doEncrypt(message, publicKey, cipherMode) numbers for the two orders of the ciphertext parts.
SM_CRYPTO_CIPHER_MODES = {"c1c3c2": 1, "c1c2c3": 0}


def system_info(settings: Settings) -> dict:
    published = published_password_keys(settings)
    return {
        "rsa": {"publicKey": published["rsa"]["public_key_pem"], "padding": published["rsa"]["padding"]},
        "sm2": {
            "publicKey": published["sm2"]["public_key_hex"],
            "cipherMode": SM_CRYPTO_CIPHER_MODES[settings.sm2_cipher_mode],
            "ciphertextOrder": settings.sm2_cipher_mode.upper(),
        },
        "version": {"server": "serverless-oidc", "version": __version__},
        # Lambda has no fixed egress addresses to publish (Authing lists its outbound IPs here).
        "publicIps": [],
    }
