"""An upstream identity provider of the tests' own, for lazy migration (oidc_core/login/upstream.py): the answers a
healthy stack never gives. It is a test double of a third-party server, not of our code."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


class FakeUpstream:
    """An OpenID provider with a password grant that accepts `frank`/`frank-password`, with a switch for how it
    misbehaves: `signing_key` signs the id token (its JWKS holds `published_key`), `claims` replace or add id token
    claims, `discovery` replaces entries of the discovery document, `status` replaces the answer, `silent` never
    answers. `received` lists the (method, path) of every request it got."""

    def __init__(self):
        self.published_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing_key = self.published_key
        self.status: int | None = None
        self.claims: dict = {}
        self.discovery: dict = {}
        self.received: list[tuple[str, str]] = []
        self.silent = threading.Event()
        self.released = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, document: dict):
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                fake.received.append(("GET", self.path))
                if self.path == "/oidc/.well-known/openid-configuration":
                    self._answer(200, {"issuer": fake.issuer, "token_endpoint": fake.issuer + "/token",
                                       "jwks_uri": fake.issuer + "/jwks", **fake.discovery})
                elif self.path == "/oidc/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(fake.published_key.public_key()))
                    self._answer(200, {"keys": [{**jwk, "kid": "published", "use": "sig", "alg": "RS256"}]})
                else:
                    self._answer(404, {})

            def do_POST(self):
                fake.received.append(("POST", self.path))
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["content-length"])).decode())
                if fake.silent.is_set():
                    fake.released.wait(timeout=30)
                    return
                if fake.status:
                    self._answer(fake.status, {"error": "server_error"})
                elif form.get("username") == ["frank"] and form.get("password") == ["frank-password"]:
                    token = jwt.encode({"iss": fake.issuer, "aud": "us", "sub": "frank|1", "iat": 1, "exp": 2 ** 40,
                                        "name": "Frank", **fake.claims}, fake.signing_key, algorithm="RS256",
                                       headers={"kid": "published"})
                    self._answer(200, {"access_token": "x", "id_token": token, "token_type": "Bearer"})
                else:
                    self._answer(400, {"error": "invalid_grant"})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/oidc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
