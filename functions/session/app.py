"""SessionFunction: what a client does with tokens it holds: introspection, revocation, userinfo and logout.
It verifies tokens with the public keys only; it never reads a private key."""

from aws_lambda_powertools.logging import correlation_paths

from oidc_core.config import settings
from oidc_core.endpoints.end_session import Logout, confirm_end_session, end_session
from oidc_core.http import NO_STORE_HEADERS, empty_response, form_request, json_response, resolver
from oidc_core.endpoints.introspection import introspect
from oidc_core.observability import logger, metrics, tracer
from oidc_core.endpoints.revocation import revoke
from oidc_core.endpoints.userinfo import bearer_token, userinfo

settings()  # a bad configuration fails the init (one ConfigurationError), never each request with a 500


def introspection(event):
    return json_response(200, introspect(form_request(event, settings()), settings()), NO_STORE_HEADERS)


def revocation(event):
    revoke(form_request(event, settings()), settings())
    return empty_response(200)


def me(event):
    query_token = (event.query_string_parameters or {}).get("access_token")
    form_token = form_request(event, settings()).parameters.get("access_token") if event.http_method == "POST" else None
    token = bearer_token(event.headers.get("authorization"), query_token, form_token)
    return json_response(200, userinfo(token, settings()), NO_STORE_HEADERS)


def _logout(event, parameters: dict) -> Logout:
    return Logout(parameters=parameters, cookies=event.cookies, accept_language=event.headers.get("accept-language"))


def session_end(event):
    return end_session(_logout(event, event.query_string_parameters or {}), settings())


def session_end_confirmed(event):
    return confirm_end_session(_logout(event, form_request(event, settings()).parameters), settings())


app = resolver({
    ("POST", "/oidc/token/introspection"): introspection, ("POST", "/oidc/token/revocation"): revocation,
    ("GET", "/oidc/me"): me, ("GET", "/oidc/me/"): me, ("POST", "/oidc/me"): me, ("POST", "/oidc/me/"): me,
    ("GET", "/oidc/session/end"): session_end, ("POST", "/oidc/session/end"): session_end_confirmed,
})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
