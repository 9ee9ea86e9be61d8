"""SelfServiceFunction: Authing's v3 self-service calls (send-sms, send-email, signup, the reset calls and
update-password). It sends codes (SES, SNS) and sets passwords; it signs nothing and holds no signing key: the passcode
sign-in, which issues tokens, stays in TokenFunction."""

from aws_lambda_powertools.logging import correlation_paths

from oidc_core.config import settings
from oidc_core.endpoints.authing import envelope, reset_password, send_code, signup, update_password
from oidc_core.http import resolver
from oidc_core.observability import logger, metrics, tracer

settings()  # a bad configuration fails the init (one ConfigurationError), never each request with a 500

CALLS = {
    "/api/v3/send-sms": send_code.send_sms,
    "/api/v3/send-email": send_code.send_email,
    "/api/v3/signup": signup.sign_up,
    "/api/v3/verify-reset-password-request": reset_password.verify_reset_request,
    "/api/v3/reset-password": reset_password.reset_password,
    "/api/v3/update-password": update_password.update_password,
}


def _answer(call):
    return lambda event: envelope.answer(event, settings(), call)


app = resolver({("POST", path): _answer(call) for path, call in CALLS.items()})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
