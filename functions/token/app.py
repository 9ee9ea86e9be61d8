"""TokenFunction: POST /oidc/token, and Authing's password sign-in POST /api/v3/signin on the same path."""

from aws_lambda_powertools.logging import correlation_paths

from oidc_core.config import settings
from oidc_core.errors import OAuthError
from oidc_core.http import (NO_STORE_HEADERS, caller, envelope_error_response, form_request, json_response,
                            resolver)
from oidc_core.observability import logger, metrics, tracer
from oidc_core.endpoints.signin import error_envelope, sign_in, signin_request
from oidc_core.endpoints.token import token_response

settings()  # a bad configuration fails the init (one ConfigurationError), never each request with a 500


def token(event):
    request = form_request(event, settings())
    return json_response(200, token_response(request, settings()), NO_STORE_HEADERS)


def signin(event):
    try:
        request = signin_request(event.body, is_base64_encoded=event.is_base64_encoded,
                                 content_type=event.headers.get("content-type"), caller=caller(event, settings()))
        answer = sign_in(request, event.headers.get("x-authing-app-id"), settings())
    except OAuthError as error:  # Authing's envelope, not OAuth's, whatever went wrong
        return envelope_error_response(error, error_envelope(error))
    return json_response(200, answer, NO_STORE_HEADERS)


app = resolver({("POST", "/oidc/token"): token, ("POST", "/api/v3/signin"): signin})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
