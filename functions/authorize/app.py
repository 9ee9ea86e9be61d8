"""AuthorizeFunction: the authorization endpoint GET and POST /oidc/auth, and the login and consent pages it shows
(POST /oidc/login, GET and POST /oidc/consent). It reads no private key: codes are redeemed at TokenFunction."""

from aws_lambda_powertools.logging import correlation_paths

from oidc_core.config import settings
from oidc_core.endpoints.authorization import authorize
from oidc_core.endpoints.consent import consent, consent_page
from oidc_core.endpoints.login_page import login
from oidc_core.errors import DependencyUnavailable
from oidc_core.http import caller, resolver
from oidc_core.observability import logger, metrics, tracer
from oidc_core.pages.browser import browser_request, outage_page
from oidc_core.store import browser_sessions

settings()  # a bad configuration fails the init (one ConfigurationError), never each request with an error page
PAGES = {("GET", "/oidc/auth"): authorize, ("POST", "/oidc/auth"): authorize, ("POST", "/oidc/login"): login,
         ("GET", "/oidc/consent"): consent_page, ("POST", "/oidc/consent"): consent}


def page(event):
    """Every route is a page for a browser: an outage is a page too (not OAuth JSON), and over https every answer
    carries Strict-Transport-Security."""
    try:
        answer = PAGES[event.http_method, event.path](browser_request(event, caller(event, settings())), settings())
    except DependencyUnavailable as error:
        answer = outage_page(error, event.headers.get("accept-language"))
    answer.headers.update(browser_sessions.transport_headers(settings()))
    return answer


app = resolver({route: page for route in PAGES})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
