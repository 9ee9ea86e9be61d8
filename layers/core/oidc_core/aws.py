"""AWS clients, created once per container, and the one place AWS failures become 503s."""

from __future__ import annotations

import contextlib
import functools

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from oidc_core.errors import DependencyUnavailable

# Fail fast: a login that waits out the Lambda timeout is worse than a 503 the client can retry.
_CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 3})


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
