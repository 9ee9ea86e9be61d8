"""`make invoke FUNCTION=TokenFunction EVENT=events/token-password.json`: one event through one function, like
`sam local invoke -e`, but without Docker: against a fresh embedded stack seeded with the demo client and user."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import traceback
from pathlib import Path

from oidc_tools import template as cfn
from oidc_tools.local.lambda_events import LambdaContext
from oidc_tools.local.stack import LocalStack


class InvokeError(Exception):
    """A mistake in the command line, reported in one line before anything starts."""


def read_event(path: Path) -> dict:
    try:
        event = json.loads(path.read_text())
    except OSError as error:
        raise InvokeError(f"cannot read {path}: {error.strerror} (the events are in events/)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvokeError(f"{path} is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise InvokeError(f"{path} is not an event: a JSON object is expected")
    return event


def check_function(name: str) -> cfn.Function:
    functions = cfn.functions(cfn.load())
    if name not in functions:
        raise InvokeError(f"unknown function {name}; template.yaml has {', '.join(functions)}")
    return functions[name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("function", help="logical id in template.yaml, e.g. TokenFunction")
    parser.add_argument("event", type=Path, help="an HTTP API v2 event, e.g. events/token-password.json")
    args = parser.parse_args(argv)
    try:
        function = check_function(args.function)
        event = read_event(args.event)
    except InvokeError as error:
        print(f"invoke: {error}", file=sys.stderr)
        return 2
    # Like `sam local invoke`: the function's logs on stderr, its response alone on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        stack = LocalStack(port=3000).start()
        try:
            handler, _ = stack.handlers[args.function]
            # the template's memory size and timeout, as Lambda's context reports them (Powertools logs the size)
            context = LambdaContext(function_name=args.function, memory_limit_in_mb=function.memory_size,
                                    timeout_seconds=function.timeout)
            started = time.perf_counter()
            response = handler(event, context)
            print(f"REPORT RequestId: {context.aws_request_id}\tDuration: {(time.perf_counter() - started) * 1000:.2f} "
                  f"ms\tMemory Size: {function.memory_size} MB")
        except Exception as error:  # what the Lambda runtime reports for an unhandled error; the trace on stderr
            traceback.print_exc()
            response = {"errorMessage": str(error), "errorType": type(error).__name__}
        finally:
            stack.stop()
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 1 if "errorType" in response else 0


if __name__ == "__main__":
    sys.exit(main())
