import os
import sys
from pathlib import Path

import pytest

# tests/helpers.py and the fixtures are shared by every test level
sys.path.insert(0, str(Path(__file__).parent))
pytest_plugins = ["aws_fixtures", "log_audit"]

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


def pytest_collection_modifyitems(items):
    """The log audit reads what every other test logged, so it runs last."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/test_logs_leak_nothing.py"))
