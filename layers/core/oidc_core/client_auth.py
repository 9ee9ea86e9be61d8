"""Client authentication at the token endpoint: client_secret_basic and client_secret_post (RFC 6749 §2.3.1)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from oidc_core import clients, passwords
from oidc_core.clients import Client
from oidc_core.config import Settings
from oidc_core.errors import invalid_client, invalid_request
from oidc_core.token_request import TokenRequest

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
MAX_CLIENT_ID_LENGTH = 256  # far inside DynamoDB's key limit, so a silly id is a 401 and never a 503


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
    if not passwords.verify_password(secret, client.secret_hash):
        raise invalid_client(basic_auth_used=bool(basic))
    return client
