import os
import sys
from pathlib import Path

import pytest

# tests/helpers.py and the fixtures are shared by every test level
sys.path.insert(0, str(Path(__file__).parent))
pytest_plugins = ["aws_fixtures"]

# Powertools reads these when Tracer and Metrics are created, i.e. when a handler module is first imported.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ServerlessOidcTests")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "serverless-oidc")


@pytest.fixture(scope="session")
def running_stack():
    """One `make dev` server for the whole run (started only if a test asks for it)."""
    from stack_process import RunningStack

    stack = RunningStack()
    yield stack
    stack.stop()
