"""Client authentication at the token endpoint: client_secret_basic and client_secret_post (RFC 6749 §2.3.1)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections import OrderedDict
from urllib.parse import unquote_plus

from oidc_core import clients, passwords
from oidc_core.clients import Client
from oidc_core.config import Settings
from oidc_core.errors import invalid_client, invalid_request
from oidc_core.token_request import TokenRequest

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
MAX_CLIENT_ID_LENGTH = 256  # far inside DynamoDB's key limit, so a silly id is a 401 and never a 503


# Client secrets are verified with Argon2id like passwords, which costs as much as the user's own check. A container
# remembers, per stored hash, the SHA-256 of the secret that last verified, so a busy client pays that once per
# container; a changed secret changes the stored hash and so misses here. Bounded, least recently used out first.
# Only the digest of a secret that verified is kept, never the secret.
_VERIFIED_SECRETS: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_VERIFIED_SECRETS_MAX = 256


def _secret_matches(client: Client, secret: str) -> bool:
    key = (client.client_id, client.secret_hash)
    digest = hashlib.sha256(secret.encode("utf-8")).digest()
    remembered = _VERIFIED_SECRETS.get(key)
    if remembered is not None and hmac.compare_digest(remembered, digest):
        _VERIFIED_SECRETS.move_to_end(key)
        return True
    # Anything else pays the full price, so guessing a client secret stays as slow as guessing a password.
    if not passwords.verify_password(secret, client.secret_hash):
        return False
    _VERIFIED_SECRETS[key] = digest
    if len(_VERIFIED_SECRETS) > _VERIFIED_SECRETS_MAX:
        _VERIFIED_SECRETS.popitem(last=False)
    return True


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(client_id, secret) from 'Basic base64(urlencode(id):urlencode(secret))', or None if it is not Basic."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise invalid_client(basic_auth_used=True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise invalid_client(basic_auth_used=True)
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(request: TokenRequest, settings: Settings) -> Client:
    basic = _basic_credentials(request.authorization) if request.authorization else None
    body_id, body_secret = request.get("client_id"), request.get("client_secret")
    if basic:
        if body_secret:
            raise invalid_request("use one client authentication method, not both")
        if body_id and body_id != basic[0]:
            raise invalid_request("client_id in the body does not match the Authorization header")
        client_id, secret = basic
    else:
        client_id, secret = body_id, body_secret
    if not client_id or not secret:
        raise invalid_client(basic_auth_used=bool(basic))

    client = clients.find(settings.clients_table, client_id) if len(client_id) <= MAX_CLIENT_ID_LENGTH else None
    if client is None:
        passwords.verify_against_dummy(secret, settings.argon2)
        raise invalid_client(basic_auth_used=bool(basic))
    if not _secret_matches(client, secret):
        raise invalid_client(basic_auth_used=bool(basic))
    return client
