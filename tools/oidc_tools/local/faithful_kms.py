"""A FAKE of the KMS calls serverless-oidc makes, written for our tests and the local stack, doing the real cryptography.

moto 5.2's KMS is wrong exactly where KMS mode depends on it: Sign ignores MessageType=DIGEST (it hashes the digest
again, so no signature verifies), asymmetric Decrypt ignores EncryptionAlgorithm and only undoes moto's own symmetric
format (so no RSA-OAEP or SM2 ciphertext from a real client decrypts), and a KeySpec=SM2 key is made as an RSA key.
`install()` patches moto so that, for asymmetric keys only, these calls behave as the KMS API reference says:

- CreateKey with KeySpec SM2 makes an SM2 key pair;
- GetPublicKey returns the DER SubjectPublicKeyInfo (for SM2: id-ecPublicKey on curve 1.2.156.10197.1.301), the key
  spec and usage, and the algorithms the key allows;
- Sign takes MessageType RAW (hashes the message) or DIGEST (the message is the digest, of the algorithm's length),
  and RSASSA_PKCS1_V1_5_SHA_* / RSASSA_PSS_SHA_*; a key not for SIGN_VERIFY gets InvalidKeyUsageException;
- Decrypt of an asymmetric key needs KeyId and an EncryptionAlgorithm the key allows: RSAES_OAEP_SHA_1/256, or
  SM2PKE over the GM/T 0009 DER SM2Cipher (x, y, C3, C2), C3 checked. Any failure is InvalidCiphertextException;
- all three answer DisabledException for a disabled key (moto's own calls do not).

Symmetric keys and every other call stay moto's. The SM2 arithmetic is gmssl's point multiplication and SM3, put
together here independently of oidc_core's decryption, and the DER is parsed with asn1crypto, so a misreading in our
own code is not mirrored by the fake. Key material lives in this process (it is not in `make dev PERSIST=1` snapshots).
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import secrets

from asn1crypto import core
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from gmssl import sm3
from gmssl.sm2 import CryptSM2, default_ecc_table
from moto.core.exceptions import JsonRESTError
from moto.kms.exceptions import InvalidCiphertextException, InvalidKeyUsageException, ValidationException
from moto.kms.models import KmsBackend
from moto.kms.responses import KmsResponse

_HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}
_OAEP_HASHES = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}
_N = int(default_ecc_table["n"], 16)
_P = int(default_ecc_table["p"], 16)
# SubjectPublicKeyInfo of an SM2 key up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey, sm2 curve OID },
# BIT STRING (66 bytes: no unused bits, then 04 || X || Y) }
_SM2_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


class _Sm2Cipher(core.Sequence):
    _fields = [("x", core.Integer), ("y", core.Integer), ("hash", core.OctetString), ("ciphertext", core.OctetString)]


class Sm2KeyMaterial:
    """An SM2 key pair, as KMS holds one."""

    def __init__(self) -> None:
        self.d = secrets.randbelow(_N - 1) + 1
        self._curve = CryptSM2(private_key=f"{self.d:064x}", public_key="")
        self.point = "04" + self._curve._kg(self.d, default_ecc_table["g"])

    def public_key(self) -> bytes:
        return _SM2_SPKI_PREFIX + bytes.fromhex(self.point)

    def decrypt(self, blob: bytes) -> bytes:
        try:
            parsed = _Sm2Cipher.load(blob, strict=True)
            x, y = parsed["x"].native, parsed["y"].native
            c3, c2 = parsed["hash"].native, parsed["ciphertext"].native
        except (ValueError, TypeError):
            raise InvalidCiphertextException() from None
        if not (0 <= x < _P and 0 <= y < _P) or len(c3) != 32 or not c2:
            raise InvalidCiphertextException()
        a, b = int(default_ecc_table["a"], 16), int(default_ecc_table["b"], 16)
        if (y * y - x * x * x - a * x - b) % _P:
            raise InvalidCiphertextException()  # C1 not on the curve
        shared = self._curve._kg(self.d, f"{x:064x}{y:064x}")
        key_stream = bytes.fromhex(sm3.sm3_kdf(shared.encode("ascii"), len(c2)))
        message = bytes(c ^ k for c, k in zip(c2, key_stream, strict=True))
        x2y2 = bytes.fromhex(shared)
        if not hmac.compare_digest(bytes.fromhex(sm3.sm3_hash(list(x2y2[:32] + message + x2y2[32:]))), c3):
            raise InvalidCiphertextException()
        return message


def _algorithms(key) -> dict:
    if key.key_usage == "SIGN_VERIFY":
        if key.key_spec == "SM2":
            return {"SigningAlgorithms": ["SM2DSA"]}
        return {"SigningAlgorithms": [f"RSASSA_{kind}_{size}" for kind in ("PSS", "PKCS1_V1_5")
                                      for size in _HASHES]}
    if key.key_spec == "SM2":
        return {"EncryptionAlgorithms": ["SM2PKE"]}
    return {"EncryptionAlgorithms": list(_OAEP_HASHES)}


class DisabledException(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("DisabledException", f"{arn} is disabled.")


def _asymmetric(response: KmsResponse):
    """The asymmetric key the request names, None for a symmetric one; a disabled key cannot be used."""
    key_id = response._get_param("KeyId")
    if not key_id:
        return None
    response._validate_key_id(key_id)
    key = response.kms_backend.describe_key(key_id)
    if key.key_spec == "SYMMETRIC_DEFAULT":
        return None
    if key.key_state != "Enabled":
        raise DisabledException(key.arn)
    return key


def _get_public_key(original, self: KmsResponse) -> str:
    key = _asymmetric(self)
    if key is None:
        return original(self)
    return json.dumps({"KeyId": key.arn, "KeySpec": key.key_spec, "CustomerMasterKeySpec": key.key_spec,
                       "KeyUsage": key.key_usage, **_algorithms(key),
                       "PublicKey": base64.b64encode(key.private_key.public_key()).decode("ascii")})


def _sign(original, self: KmsResponse) -> str:
    key = _asymmetric(self)
    if key is None or key.key_spec == "SM2":
        return original(self)
    if key.key_usage != "SIGN_VERIFY":
        raise InvalidKeyUsageException()
    algorithm, message_type = self._get_param("SigningAlgorithm"), self._get_param("MessageType") or "RAW"
    if algorithm not in _algorithms(key)["SigningAlgorithms"]:
        raise ValidationException(f"SigningAlgorithm {algorithm} is not valid for this key")
    hash_algorithm = _HASHES[algorithm[-7:]]()
    message = self._get_param("Message")
    if message_type == "DIGEST":
        if len(message) != hash_algorithm.digest_size:
            raise ValidationException("Digest is invalid length for algorithm " + algorithm)
        hashed = utils.Prehashed(hash_algorithm)
    elif message_type == "RAW":
        hashed = hash_algorithm
    else:
        raise ValidationException(f"MessageType {message_type} is not RAW or DIGEST")
    scheme = padding.PKCS1v15() if "PKCS1" in algorithm else \
        padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)
    signature = key.private_key.private_key.sign(message, scheme, hashed)
    return json.dumps({"KeyId": key.arn, "Signature": base64.b64encode(signature).decode("ascii"),
                       "SigningAlgorithm": algorithm})


def _decrypt(original, self: KmsResponse) -> str:
    key = _asymmetric(self)
    if key is None:
        return original(self)
    if key.key_usage != "ENCRYPT_DECRYPT":
        raise InvalidKeyUsageException()
    algorithm = self._get_param("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
    if algorithm not in _algorithms(key)["EncryptionAlgorithms"]:
        raise InvalidKeyUsageException()
    blob = self._get_param("CiphertextBlob")
    if algorithm == "SM2PKE":
        plaintext = key.private_key.decrypt(blob)
    else:
        oaep_hash = _OAEP_HASHES[algorithm]()
        try:
            plaintext = key.private_key.private_key.decrypt(
                blob, padding.OAEP(mgf=padding.MGF1(oaep_hash), algorithm=oaep_hash, label=None))
        except ValueError:
            raise InvalidCiphertextException() from None
    return json.dumps({"KeyId": key.arn, "Plaintext": base64.b64encode(plaintext).decode("ascii"),
                       "EncryptionAlgorithm": algorithm})


def _create_key(original, self: KmsBackend, *args, **kwargs):
    key = original(self, *args, **kwargs)
    if key.key_spec == "SM2":
        key.private_key = Sm2KeyMaterial()
    return key


def _patch(owner, name: str, replacement) -> None:
    original = getattr(owner, name)
    if getattr(original, "_faithful", False):
        return

    @functools.wraps(original)
    def patched(self, *args, **kwargs):
        return replacement(original, self, *args, **kwargs)

    patched._faithful = True
    setattr(owner, name, patched)


def install() -> None:
    """Patch moto's KMS as the docstring says. Idempotent; affects moto in this process (mock_aws and its servers)."""
    _patch(KmsBackend, "create_key", _create_key)
    _patch(KmsResponse, "get_public_key", _get_public_key)
    _patch(KmsResponse, "sign", _sign)
    _patch(KmsResponse, "decrypt", _decrypt)
