import os
import sys
from pathlib import Path

# tests/helpers.py is shared by every test level
sys.path.insert(0, str(Path(__file__).parent))

# Powertools reads these when Tracer and Metrics are created, i.e. when a handler module is first imported.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ServerlessOidcTests")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "serverless-oidc")
