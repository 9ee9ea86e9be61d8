"""POST /oidc/token (RFC 6749 §3.2): read the request, authenticate the client, hand over to the grant."""

from __future__ import annotations

from oidc_core.login.client_auth import authenticate
from oidc_core.config import Settings
from oidc_core.errors import OAuthError, invalid_request
from oidc_core.grants import GRANTS
from oidc_core.parameters import ParameterRequest


def token_response(request: ParameterRequest, settings: Settings) -> dict:
    grant_type = request.get("grant_type")
    if grant_type is None:
        raise invalid_request("missing parameter: grant_type")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise OAuthError("unsupported_grant_type", f"supported grant types: {', '.join(GRANTS)}")
    client, found = authenticate(request, settings, also_read=grant.reads(request, settings))
    if grant_type not in client.grant_types:
        raise OAuthError("unauthorized_client", f"this client may not use the {grant_type} grant")
    return grant.grant(request, client, settings, found)
