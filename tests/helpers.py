"""Helpers shared by the tests: building API Gateway events and reading Lambda proxy responses."""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from gmssl import sm3
from gmssl.sm2 import CryptSM2, default_ecc_table

from oidc_core.password_decryption.sm2 import C1C3C2
from oidc_tools.lambda_events import http_api_event, response_body

FORM = "application/x-www-form-urlencoded"

# What the in-process stack fixture (aws_fixtures.py) registers
ISSUER = "https://auth.example.test/oidc"
CLIENT_ID, CLIENT_SECRET = "app", "app-secret-0123456789"
PASSWORD = "correct horse battery staple"


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_event(form: dict | list | None = None, *, body: bytes | None = None, content_type: str = FORM,
                authorization: str | None = None) -> dict:
    if body is None:
        body = json.dumps(form).encode() if content_type == "application/json" else urlencode(form or {}).encode()
    headers = [("content-type", content_type)] if content_type else []
    if authorization:
        headers.append(("authorization", authorization))
    return http_api_event("POST", "/oidc/token", route_key="POST /oidc/token", headers=headers, body=body,
                          source_ip="198.51.100.7")


def get_event(path: str) -> dict:
    return http_api_event("GET", path, route_key=f"GET {path}")


class Reply:
    """A Lambda proxy response, read the way a client reads the HTTP response."""

    def __init__(self, response: dict):
        self.status = response["statusCode"]
        self.headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
        self.text = response_body(response).decode("utf-8")

    def json(self) -> dict:
        return json.loads(self.text)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.text[:200]}>"


# -- what clients do to passwords before sending them (test inputs; the interop tests use the real JS libraries) --

_SM2_ARITHMETIC = CryptSM2("", "")
_SM2_N = int(default_ecc_table["n"], 16)
_SM2_G = default_ecc_table["g"].lower()


def sm2_encrypt(plaintext: bytes, public_key_hex: str, mode: str = C1C3C2, k: int | None = None) -> str:
    """GM/T 0003.4 encryption as sm-crypto does it (no 04 on C1), with a chosen k for the edge cases."""
    k = k or secrets.randbelow(_SM2_N - 1) + 1
    c1 = _SM2_ARITHMETIC._kg(k, _SM2_G)
    shared = _SM2_ARITHMETIC._kg(k, public_key_hex[2:])
    t = bytes.fromhex(sm3.sm3_kdf(shared.encode(), len(plaintext)))
    c2 = bytes(m ^ s for m, s in zip(plaintext, t)).hex()
    c3 = sm3.sm3_hash(list(bytes.fromhex(shared[:64]) + plaintext + bytes.fromhex(shared[64:])))
    return c1 + (c3 + c2 if mode == C1C3C2 else c2 + c3)


def rsa_encrypt(plaintext: str, public_key, oaep: bool = False) -> str:
    """What JSEncrypt (PKCS#1 v1.5) or an OAEP-SHA256 client sends: standard base64."""
    scheme = (padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
              if oaep else padding.PKCS1v15())
    return base64.b64encode(public_key.encrypt(plaintext.encode("utf-8"), scheme)).decode("ascii")
