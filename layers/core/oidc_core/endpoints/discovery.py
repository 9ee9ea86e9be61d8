"""OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414) for what this service really implements."""

from __future__ import annotations

from oidc_core.tokens.claims import ALL_CLAIMS
from oidc_core.store.clients import AUTH_METHODS
from oidc_core.config import Settings
from oidc_core.grants import GRANTS
from oidc_core.tokens.scopes import KNOWN_SCOPES
from oidc_core.pages.strings import SUPPORTED_LOCALES

RESPONSE_MODES = ("query", "fragment", "form_post")  # endpoints.authorization.RESPONSE_MODES, without its imports
PROMPTS = ("none", "login", "consent", "select_account")


def provider_metadata(settings: Settings) -> dict:
    return {
        "issuer": settings.issuer,
        "authorization_endpoint": settings.authorization_endpoint,
        "token_endpoint": settings.token_endpoint,
        "jwks_uri": settings.jwks_uri,
        "userinfo_endpoint": settings.userinfo_endpoint,
        "introspection_endpoint": settings.introspection_endpoint,
        "revocation_endpoint": settings.revocation_endpoint,
        "end_session_endpoint": settings.end_session_endpoint,
        "grant_types_supported": list(GRANTS),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": list(KNOWN_SCOPES),
        "claims_supported": list(ALL_CLAIMS),
        # The authorization code flow only: RFC 9700 §2.1.2 retires the implicit flow, and the hybrid flow's front
        # channel tokens with it.
        "response_types_supported": ["code"],
        "response_modes_supported": list(RESPONSE_MODES),
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": list(PROMPTS),
        "ui_locales_supported": list(SUPPORTED_LOCALES),
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claim_types_supported": ["normal"],
    }
