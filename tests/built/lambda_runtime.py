"""Runs one event through a *built* function the way the Lambda runtime would, with nothing but the standard library,
the function's code and its layers on sys.path (run with python -I -S, so no site-packages can hide a packaging
mistake). Usage: python -I -S lambda_runtime.py BUILD_DIR FUNCTION LAYER [LAYER ...] < event.json > response.json"""

import json
import sys
import uuid
from pathlib import Path

build_dir, function, *layers = sys.argv[1:]
# /var/task first, then each layer's python/ as Lambda unpacks them under /opt/python.
sys.path[:0] = [str(Path(build_dir) / function)] + [str(Path(build_dir) / layer / "python") for layer in layers]


class Context:
    function_name = function
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
    aws_request_id = str(uuid.uuid4())
    log_group_name = f"/aws/lambda/{function}"

    @staticmethod
    def get_remaining_time_in_millis():
        return 10_000


import app  # the handler module, found on the path above

response = app.lambda_handler(json.load(sys.stdin), Context())
loaded_from = {name: getattr(sys.modules[name], "__file__", None) for name in ("app", "oidc_core", "cryptography", "jwt")}
json.dump({"response": response, "loaded_from": loaded_from}, sys.stdout)
