"""DiscoveryFunction: provider metadata, the JWKS and the password-encryption public keys (/api/v3/system).
It can read public keys only, never a private one."""

from aws_lambda_powertools.logging import correlation_paths

from oidc_core.config import JWKS_MAX_AGE_SECONDS, settings
from oidc_core.endpoints.discovery import provider_metadata
from oidc_core.http import json_response, resolver
from oidc_core.keys.keyring import published_jwks
from oidc_core.observability import logger, tracer
from oidc_core.endpoints.system_info import system_info

settings()  # a bad configuration fails the init (one ConfigurationError), never each request with a 500

# Public documents: let clients and CDNs keep them a few minutes. A new signing key is published longer than that
# before it signs (Settings.signing_activation_seconds), so a cached JWKS always knows the kid of a fresh token.
PUBLIC_CACHE = {"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"}


def openid_configuration(event):
    return json_response(200, provider_metadata(settings()), PUBLIC_CACHE)


def jwks(event):
    return json_response(200, published_jwks(settings()), PUBLIC_CACHE)


def system(event):
    return json_response(200, system_info(settings()), PUBLIC_CACHE)


app = resolver({("GET", "/oidc/.well-known/openid-configuration"): openid_configuration,
                ("GET", "/oidc/.well-known/jwks.json"): jwks, ("GET", "/api/v3/system"): system})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event, context):
    return app.resolve(event, context)
