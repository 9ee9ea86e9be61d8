"""The cold sections: fresh `python -I -S` processes with the built function and its layers, as Lambda's init has
them, against the SDK floor; where their imports go; and what sam build made."""

from __future__ import annotations

import io
import json
import os
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from oidc_tools.bench.container import Run, memory_size
from oidc_tools.bench.report import (COLD, COLD_START_TARGET, COLD_TITLE, COLUMNS, IMPORTS_TITLE, PACKAGES_TITLE,
                                     Samples, Table, ratio_cell)

ROOT = Path(__file__).resolve().parents[3]


_COLD_SCRIPT = r"""
import json, sys, time
started = time.perf_counter()
mode, function_dir, *layers = sys.argv[1:]
sys.path[:0] = [function_dir] + layers
if mode == "floor":
    import boto3
    boto3.session.Session().client("dynamodb")
    boto3.session.Session().client("secretsmanager")
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    import jwt
else:
    import app
    if mode != "import":
        from oidc_core import aws
        aws.client("dynamodb")
        aws.client("secretsmanager")
    if mode == "request":
        import os
        name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        class Context:
            function_name = name
            function_version = "$LATEST"
            memory_limit_in_mb = 1024
            invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
            aws_request_id = "cold"
            log_group_name = f"/aws/lambda/{name}"
            def get_remaining_time_in_millis(self):
                return 10000
        saved, sys.stdout = sys.stdout, open("/dev/null", "w")
        response = app.lambda_handler(json.loads(sys.stdin.read()), Context())
        sys.stdout = saved
        assert response["statusCode"] == 200, response
print((time.perf_counter() - started) * 1000)
"""


def build_dir() -> Path:
    architecture = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    return ROOT / os.environ.get("HOST_BUILD", f".aws-sam/build-{architecture}")


def _cold_command(mode: str, *flags: str, function: str = "TokenFunction") -> list[str]:
    build = build_dir()
    if not (build / function / "app.py").exists():
        raise SystemExit(f"no build at {build}: run `make build-host` (make bench does)")
    layers = [str(build / layer / "python") for layer in ("DependenciesLayer", "CoreLayer")]
    return [sys.executable, "-I", "-S", *flags, "-c", _COLD_SCRIPT, mode, str(build / function), *layers]


def _lambda_environment(run: Run, function: str = "TokenFunction", **extra: str) -> dict:
    """What a function's process sees in Lambda: the template's environment, the runtime's variables."""
    environment = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **run.warm_container().environments[function],
                   **{name: os.environ[name] for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                                                          "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")},
                   "LAMBDA_TASK_ROOT": str(build_dir() / function), "AWS_LAMBDA_FUNCTION_NAME": function,
                   "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_size(run.warm_container().template, function)),
                   "POWERTOOLS_METRICS_NAMESPACE": "bench",
                   "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR", **extra}
    return environment


def cold_start(run: Run) -> Table:
    """Fresh processes, interleaved (floor, app, …) so that the machine's mood changes touch every figure alike."""
    container = run.warm_container()
    first_requests = {"TokenFunction": container.event(container.password_form()),
                      "AuthorizeFunction": container.page_event("GET", "/oidc/auth",
                                                                query=container.authorization_query()[0])}
    token, authorize = "TokenFunction", "AuthorizeFunction"
    modes = [("floor", token, {}), ("import", token, {}), ("clients", token, {}), ("request", token, {}),
             ("clients", token, {"XRAY_SDK_TRACING": "true"}), ("clients", authorize, {}), ("request", authorize, {})]
    samples: list[list[float]] = [[] for _ in modes]
    for round_number in range(run.repeat(15) + 1):  # round 0 warms the page cache and writes the .pyc files
        for index, (mode, function, extra) in enumerate(modes):
            result = subprocess.run(_cold_command(mode, function=function),
                                    env=_lambda_environment(run, function, **extra),
                                    input=json.dumps(first_requests[function]) if mode == "request" else "",
                                    capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                raise SystemExit(f"cold start {function} {mode} failed:\n{result.stderr}")
            if round_number:
                samples[index].append(float(result.stdout.strip().splitlines()[-1]))
    figures = [Samples(values) for values in samples]
    floor = figures[0].median
    table = Table(COLD_TITLE, COLUMNS[COLD_TITLE])
    for name, figure in zip(COLD, figures, strict=True):
        ratio = figure.median / floor
        target = ratio_cell(ratio, COLD_START_TARGET) if name == "import app + clients" else ""
        table.rows.append((name, str(figure), f"{ratio:.2f}", target))
    table.notes = [f"Medians of {len(samples[0])} fresh processes each, tracing as the template deploys it "
                   "(Lambda's own X-Ray segments, no SDK); the X-Ray row with the SDK's subsegments switched on. "
                   "AuthorizeFunction's rows: its built directory with the same layers, its first request an "
                   "authorization request without a session (the login page), against the same floor."]
    return table


def slowest_imports(run: Run) -> Table:
    """Where `import app` + the clients spend their time, by top-level package: each package's first import, with
    everything it imported first (boto3 holds botocore, urllib3, s3transfer). One run: only the order means much."""
    result = subprocess.run(_cold_command("clients", "-X", "importtime"), env=_lambda_environment(run),
                            capture_output=True, text=True, timeout=120, check=True)
    packages: dict[str, tuple[float, float]] = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and match[4] != "app":
            top = match[4].split(".")[0]
            cumulative, own = packages.get(top, (0.0, 0.0))
            packages[top] = (max(cumulative, int(match[2]) / 1000), own + int(match[1]) / 1000)
    shown = sorted(packages.items(), key=lambda item: -item[1][0])[:12]
    return Table(IMPORTS_TITLE, COLUMNS[IMPORTS_TITLE],
                 [(name, f"{cumulative:.1f}", f"{own:.1f}") for name, (cumulative, own) in shown], fixed=False,
                 notes=["cumulative: the package's first import, with what it imported first; own: the time spent in "
                        "its own modules. The floor's packages (boto3, cryptography, jwt) are here too."])


def packages(run: Run) -> Table:
    """What sam build made: unzipped bytes (Lambda's limit is 250 MB for a function and its layers together) and
    the zip sam deploy uploads (compressed here with zipfile, level 6)."""
    from oidc_tools import template

    build = build_dir()
    table = Table(PACKAGES_TITLE, COLUMNS[PACKAGES_TITLE])
    for name in [*template.functions(template.load()), "DependenciesLayer", "CoreLayer"]:
        files = [path for path in (build / name).rglob("*") if path.is_file() and "__pycache__" not in path.parts]
        unzipped = sum(path.stat().st_size for path in files)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(build / name))
        table.rows.append((name, str(len(files)), f"{unzipped / 1024:,.0f}", f"{buffer.tell() / 1024:,.0f}"))
    return table
