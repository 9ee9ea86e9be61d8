"""RotateKeysFunction: the Secrets Manager rotation function of the signing-key and password-keys secrets.

Secrets Manager calls it with {"SecretId", "ClientRequestToken", "Step"} for createSecret, setSecret, testSecret and
finishSecret: when the stack creates the rotation schedules (the first keys), every KeyRotationDays, and on
`oidc-admin keys rotate`. oidc_core.keys.rotation does the work; nothing here logs a key.
"""

from aws_lambda_powertools.utilities.typing import LambdaContext

from oidc_core import aws
from oidc_core.keys import rotation
from oidc_core.config import load_settings
from oidc_core.observability import logger

load_settings()  # a bad configuration fails the init (one ConfigurationError), not each rotation step


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> None:
    store = rotation.KeyStore.from_settings(load_settings())
    secret_id, step = event["SecretId"], event["Step"]
    logger.info("rotation step", extra={"step": step, "keys": store.kind_of(secret_id)})
    rotation.run_step(aws.client("secretsmanager"), store, step, secret_id, event["ClientRequestToken"])
