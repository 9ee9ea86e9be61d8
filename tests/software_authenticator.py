"""A software WebAuthn authenticator for the tests: it plays the browser and the security key, not our code.

It makes an ES256 key pair with cryptography, and answers navigator.credentials.create() and .get() the way a
browser's PublicKeyCredential.toJSON() does: attestation "none" with authenticator data (RP ID hash, flags, counter,
attested credential data whose COSE key cbor2 encodes) and assertions signed over authenticatorData ||
SHA-256(clientDataJSON) (WebAuthn §6.1, §6.5, §7). Flags and the counter are the test's to set, so that a test can
make the answers of a cloned authenticator, one without user verification, or one whose backup flags change.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftwareAuthenticator:
    rp_id: str
    origin: str
    sign_count: int = 0
    user_verifying: bool = True
    backup_eligible: bool = False
    backed_up: bool = False
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    aaguid: bytes = bytes(16)
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    user_handle: bytes | None = None

    def _flags(self, attested: bool) -> int:
        flags = UP | (UV if self.user_verifying else 0) | (BE if self.backup_eligible else 0)
        return flags | (BS if self.backed_up else 0) | (AT if attested else 0)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options_json: str, *, origin: str | None = None) -> dict:
        """What the browser posts back after navigator.credentials.create(options)."""
        options = json.loads(options_json)
        self.user_handle = from_b64url(options["user"]["id"])
        attested = (self.aaguid + struct.pack(">H", len(self.credential_id)) + self.credential_id
                    + self._cose_key())
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([self._flags(True)])
                     + struct.pack(">I", self.sign_count) + attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                             "transports": ["internal", "hybrid"]},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}

    def get(self, options_json: str, *, origin: str | None = None, count_up: bool = True,
            with_user_handle: bool = True) -> dict:
        """What the browser posts back after navigator.credentials.get(options); the counter moves on first unless
        `count_up` is False (an authenticator without a counter keeps 0, a clone repeats one)."""
        options = json.loads(options_json)
        if count_up:
            self.sign_count += 1
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([self._flags(False)])
                     + struct.pack(">I", self.sign_count))
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature)}
        if with_user_handle and self.user_handle is not None:
            response["userHandle"] = b64url(self.user_handle)
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": response, "clientExtensionResults": {}, "authenticatorAttachment": "platform"}
