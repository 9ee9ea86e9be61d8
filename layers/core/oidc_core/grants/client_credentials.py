"""Client Credentials Grant (RFC 6749 §4.4), as Authing answers it: an access token for the client itself.

No user is involved, so there is no id_token and no refresh token, and the token's `sub` is the client_id. The client
gets the scopes it is registered for that it asks for (all of them when it asks for none); what it asked for and
does not get is listed in `rejected_scope`, as Authing does. Only when nothing can be granted is the answer
invalid_scope. Scopes that describe a user (openid, profile, …) are never granted here.
"""

from __future__ import annotations

from oidc_core.keys import keyring
from oidc_core.tokens import issuing
from oidc_core.store.clients import Client
from oidc_core.config import Settings
from oidc_core.errors import OAuthError, invalid_scope
from oidc_core.tokens.scopes import KNOWN_SCOPES, parse_scope
from oidc_core.parameters import ParameterRequest


def reads(request: ParameterRequest, settings: Settings) -> dict:
    return {}


def grant(request: ParameterRequest, client: Client, settings: Settings, found: dict) -> dict:
    if client.is_public:
        raise OAuthError("unauthorized_client", "a public client cannot use the client_credentials grant")
    grantable = sorted(scope for scope in client.allowed_scopes if scope not in KNOWN_SCOPES)
    asked = parse_scope(request.get("scope"))
    granted = [scope for scope in asked if scope in grantable] if asked else grantable
    rejected = [scope for scope in asked if scope not in grantable]
    if not granted:
        raise invalid_scope("none of the requested scopes is granted to this client" if asked
                            else "this client is registered for no API scope")
    decided = issuing.Grant(client=client, scopes=granted)
    response = issuing.issue(settings, keyring.current_signing_key(settings), decided)
    if rejected:
        response["rejected_scope"] = " ".join(rejected)
    return response
