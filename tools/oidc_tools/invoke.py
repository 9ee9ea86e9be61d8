"""`make invoke FUNCTION=TokenFunction EVENT=events/token-password.json`: one event through one function, like
`sam local invoke -e`, but without Docker: against a fresh embedded stack seeded with the demo client and user."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from oidc_tools.lambda_events import LambdaContext
from oidc_tools.local_stack import LocalStack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("function", help="logical id in template.yaml, e.g. TokenFunction")
    parser.add_argument("event", type=Path, help="an HTTP API v2 event, e.g. events/token-password.json")
    args = parser.parse_args(argv)
    event = json.loads(args.event.read_text())
    # Like `sam local invoke`: the function's logs on stderr, its response alone on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        stack = LocalStack(port=3000).start()
        try:
            if args.function not in stack.handlers:
                print(f"unknown function {args.function}; template.yaml has {', '.join(stack.handlers)}")
                return 2
            handler, _ = stack.handlers[args.function]
            response = handler(event, LambdaContext(function_name=args.function))
        finally:
            stack.stop()
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
