"""TokenFunction: POST /oidc/token."""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths

from oidc_core.config import settings
from oidc_core.errors import OAuthError
from oidc_core.http import NO_STORE_HEADERS, form_request, json_response, oauth_error_response, unexpected_error_response
from oidc_core.observability import logger, metrics, tracer
from oidc_core.token_endpoint import token_response

app = APIGatewayHttpResolver()
app.exception_handler(OAuthError)(oauth_error_response)
app.exception_handler(Exception)(unexpected_error_response)


@app.post("/oidc/token")
def token():
    request = form_request(app.current_event, settings())
    return json_response(200, token_response(request, settings()), NO_STORE_HEADERS)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
