"""Client authentication (RFC 6749 §2.3.1) at the token, introspection and revocation endpoints: client_secret_basic,
client_secret_post, and `none` for public clients, which send their client_id alone (RFC 6749 §2.1)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import unquote_plus

from oidc_core import aws
from oidc_core.login import audit
from oidc_core.login import ip_throttle
from oidc_core.passwords import hashing
from oidc_core.store.clients import Client, client_key
from oidc_core.config import Settings
from oidc_core.store.dynamo import get_items
from oidc_core.errors import OAuthError, invalid_client, invalid_request
from oidc_core.parameters import ParameterRequest

MAX_CLIENT_ID_LENGTH = 256  # far inside DynamoDB's key limit, so a silly id is a 401 and never a 503


# Client secrets are verified with Argon2id like passwords, which costs as much as the user's own check. A container
# remembers, per stored hash, the SHA-256 of the secret that last verified, so a busy client pays that once per
# container; a changed secret changes the stored hash and so misses here. Bounded, least recently used out first.
# Only the digest of a secret that verified is kept, never the secret.
_VERIFIED_SECRETS: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_VERIFIED_SECRETS_MAX = 256


def _secret_matches(client: Client, secret: str, settings: Settings) -> bool:
    key = (client.client_id, client.secret_hash)
    digest = hashlib.sha256(secret.encode("utf-8")).digest()
    remembered = _VERIFIED_SECRETS.get(key)
    if remembered is not None and hmac.compare_digest(remembered, digest):
        _VERIFIED_SECRETS.move_to_end(key)
        return True
    # Anything else pays the full price, so guessing a client secret stays as slow as guessing a password.
    if not hashing.verify_stored(secret, client.secret_hash, settings, hashing.CLIENT_SECRET):
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


@dataclass(frozen=True)
class PresentedCredentials:
    client_id: str | None
    secret: str | None
    basic: bool  # sent as HTTP Basic, so a failure answers with a Basic challenge


def presented_credentials(request: ParameterRequest) -> PresentedCredentials:
    """The credentials a request presents. Basic and the body together must name the same client with the same
    secret (Authing's Node SDK sends both); anything else that differs is refused rather than guessed at. An
    Authorization value that is not Basic (Authing's SDKs add a user's raw access token) says nothing about the
    client and is ignored here."""
    basic = _basic_credentials(request.authorization) if request.authorization else None
    body_id, body_secret = request.get("client_id"), request.get("client_secret")
    if basic:
        if body_id and body_id != basic[0]:
            raise invalid_request("client_id in the body does not match the Authorization header")
        if body_secret and not hmac.compare_digest(body_secret.encode(), basic[1].encode()):
            raise invalid_request("use one client authentication method, not both")
        return PresentedCredentials(basic[0], basic[1], True)
    return PresentedCredentials(body_id, body_secret, False)


def authenticate(request: ParameterRequest, settings: Settings, also_read: dict | None = None, *,
                 confidential_only: bool = False) -> tuple[Client, dict]:
    """The authenticated client, and the items named in `also_read` (name -> (table, key)), read in the same
    round trip as the client (one BatchGetItem) together with the caller's recent failures: a caller over the
    per-IP limit is refused before any secret is hashed. `confidential_only`: a public client, which proves nothing
    but its client_id, fails too."""
    credentials = presented_credentials(request)
    now = time.time()
    wanted = {**(also_read or {}), **ip_throttle.window_reads(settings, request.source_ip)}
    if credentials.client_id and len(credentials.client_id) <= MAX_CLIENT_ID_LENGTH:
        wanted["client"] = (settings.clients_table, client_key(credentials.client_id))
    found = get_items(wanted)
    if ip_throttle.over_limit(settings, found, now):
        audit.throttled(request)
        raise ip_throttle.too_many_requests(settings)
    record = found.pop("client", None)
    try:
        client = verify_client(credentials, Client.from_record(record) if record else None, settings,
                               confidential_only)
    except OAuthError:
        with aws.dependency("dynamodb"):
            ip_throttle.record_failure(settings, request.source_ip, now)
        audit.client_authentication_failed(request, credentials.client_id)
        raise
    return client, found


def verify_client(credentials: PresentedCredentials, client: Client | None, settings: Settings,
                  confidential_only: bool = False) -> Client:
    failed = invalid_client(basic_auth_used=credentials.basic)
    if not credentials.client_id:
        raise failed
    if client is None:
        if credentials.secret:  # guessing a secret costs the same whether or not the client exists
            hashing.spend_as_verifying(credentials.secret, None, settings, hashing.CLIENT_SECRET)
        raise failed
    if client.is_public:
        # A public client has no secret; one that sends any is misconfigured or not who it claims to be. Its
        # client_id alone is no authentication where one is required.
        if credentials.secret or credentials.basic or confidential_only:
            raise failed
        return client
    if not credentials.secret or not _secret_matches(client, credentials.secret, settings):
        raise failed
    return client
