"""The app a v3 call names in `x-authing-app-id`: a client registered here, else a clear error. Sign-up and the send
calls have no client authentication (Authing's SDKs send no secret with them), so the header is what ties a call to an
app, and what lets an operator bar sign-up through one app (`oidc-admin client update ID --no-sign-up`)."""

from __future__ import annotations

from oidc_core.config import Settings
from oidc_core.endpoints.authing.request import V3Request
from oidc_core.errors import OAuthError
from oidc_core.store import clients
from oidc_core.store.clients import Client

MAX_APP_ID_LENGTH = 128  # a client id is the caller's to choose: never look up an unbounded one


def named_app(request: V3Request) -> str:
    """The app id the call names; 400 invalid_request when there is none (before any limit or lookup)."""
    if not request.app_id or len(request.app_id) > MAX_APP_ID_LENGTH:
        raise OAuthError("invalid_request", "the x-authing-app-id header must name the app (its client_id)")
    return request.app_id


def known_app(request: V3Request, settings: Settings) -> Client:
    """The registered client the call names; 400 invalid_client when there is none."""
    client = clients.find(settings.clients_table, named_app(request))
    if client is None:
        raise OAuthError("invalid_client", "x-authing-app-id names no app registered here")
    return client


def may_sign_up(client: Client, settings: Settings) -> bool:
    return settings.self_sign_up and not client.no_sign_up


def require_sign_up(client: Client, settings: Settings) -> None:
    """403 access_denied when neither the stack (SelfSignUp) nor this app lets people sign up."""
    if not may_sign_up(client, settings):
        raise OAuthError("access_denied", "sign-up is not open through this app; ask its operator for an account",
                         status_code=403)
