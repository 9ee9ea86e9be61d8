"""Turning the encrypted `password` of a password grant back into the password.

Clients built for Authing encrypt the password with RSA (JSEncrypt and friends, see rsa.py) or SM2
(sm-crypto, see sm2.py). Every way a ciphertext can be unusable ends in DecryptionFailed, which the grant
must answer exactly like a wrong password.
"""


class DecryptionFailed(Exception):
    """A password ciphertext could not be turned into a password.

    `reason` is a short fixed code that is safe to log ("bad_base64", "bad_hex", "bad_length", "not_on_curve",
    "c3_mismatch", "decrypt_failed", "not_utf8"). The message is the reason and nothing else: never
    ciphertext, plaintext or key material. It is raised outside any `except` block so that no underlying
    exception (whose message may quote input bytes) rides along as __context__.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
