"""TokenFunction: POST /oidc/token, and Authing's password sign-in POST /api/v3/signin on the same path."""

from aws_lambda_powertools.logging import correlation_paths

from oidc_core.config import settings
from oidc_core.http import NO_STORE_HEADERS, form_request, json_response, resolver
from oidc_core.observability import logger, metrics, tracer
from oidc_core.endpoints.authing import envelope, signin as authing_signin
from oidc_core.endpoints.token import token_response

settings()  # a bad configuration fails the init (one ConfigurationError), never each request with a 500


def token(event):
    request = form_request(event, settings())
    return json_response(200, token_response(request, settings()), NO_STORE_HEADERS)


def signin(event):
    return envelope.answer(event, settings(), authing_signin.sign_in)


app = resolver({("POST", "/oidc/token"): token, ("POST", "/api/v3/signin"): signin})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
