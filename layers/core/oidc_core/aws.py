"""AWS clients, created once per container, and the one place AWS failures become 503s."""

from __future__ import annotations

import contextlib
import functools
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from oidc_core.errors import DependencyUnavailable

# Fail fast: a login that waits out the Lambda timeout is worse than a 503 the client can retry. The worst case of
# one call, MAX_ATTEMPTS x (connect + read) plus the retry's backoff (at most a second), ends well inside the
# functions' 10 s timeout, so an outage answers 503 and never times out (tests/unit pins the arithmetic).
CONNECT_TIMEOUT, READ_TIMEOUT, MAX_ATTEMPTS = 1, 2, 2
_CLIENT_CONFIG = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS})


@functools.cache
def client(service: str):
    return boto3.session.Session().client(service, config=_CLIENT_CONFIG)


@contextlib.contextmanager
def dependency(name: str):
    """Turn any failure of an AWS call into DependencyUnavailable; our own errors pass through."""
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise DependencyUnavailable(name) from error


# A few threads per container, for independent AWS calls a request makes at once (boto3 clients are thread-safe):
# the caller waits one round trip for all of them, not one each.
_parallel = ThreadPoolExecutor(max_workers=4, thread_name_prefix="aws")


def in_parallel(*calls):
    """Run the calls at once; their results in order. The first failure is raised once all have ended."""
    futures = [_parallel.submit(call) for call in calls]
    return [future.result() for future in futures]
