"""The first deploy as an operator meets it, run with the real SAM CLI at a terminal as far as this machine can: up to
the credentials check (there are none here, and nothing may reach the network: no AWS configuration, the instance
metadata service off, every HTTP(S) request sent to a proxy address where nothing listens).

- `make deploy GUIDED=1` (oidc_tools.deploy --guided) asks the few answers without a default, then runs `sam build`
  (a stand-in here) and `sam deploy`, which saves them in samconfig.toml and stops at the credentials check.
- `make deploy STACK=… REGION=…` asks nothing.
- `sam deploy --guided` run by hand no longer asks "…has no authentication. Is this okay?" for each public route
  (the template's HttpApi says Auth), where Enter stopped the deploy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from stack_process import ROOT
from terminal import answer_prompts

SAM = ROOT / ".venv-sam" / "bin" / "sam"
SECONDS = 180  # a deadline for a slow machine, not a measure: the CLI starts in seconds
CREDENTIALS_CHECK = "Unable to locate credentials"

pytestmark = pytest.mark.skipif(not SAM.exists(), reason="needs the SAM CLI in .venv-sam (make validate makes it)")


@pytest.fixture
def clone(tmp_path):
    """A directory holding what sam deploy reads (template.yaml, samconfig.toml), so what it saves lands there."""
    for name in ("template.yaml", "samconfig.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    stand_in = tmp_path / "sam"  # builds nothing (the build is not what is tested here), deploys for real
    stand_in.write_text(f'#!/bin/bash\nif [ "$1" = build ]; then echo "build (stand-in)"; exit 0; fi\n'
                        f'exec {SAM} "$@"\n')
    stand_in.chmod(0o755)
    return tmp_path


def offline_environment(directory) -> dict:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("AWS_") and name.lower() not in ("no_proxy", "http_proxy", "https_proxy")}
    nowhere = "http://127.0.0.1:9"  # the discard port: a request fails at once instead of leaving the machine
    return {**environment, "HOME": str(directory), "AWS_CONFIG_FILE": str(directory / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(directory / "no-aws-credentials"), "AWS_EC2_METADATA_DISABLED": "true",
            "HTTP_PROXY": nowhere, "HTTPS_PROXY": nowhere, "SAM_CLI_TELEMETRY": "0", "PYTHONUNBUFFERED": "1"}


def at_a_terminal(command: list[str], cwd, answers: dict[str, str]) -> tuple[int, list[str], str]:
    return answer_prompts(command, cwd=cwd, env=offline_environment(cwd), answers=answers, seconds=SECONDS)


def test_a_guided_first_deploy_asks_only_what_has_no_default(clone):
    status, prompts, shown = at_a_terminal(
        [sys.executable, "-m", "oidc_tools.deploy", "--sam", str(clone / "sam"), "--guided"], clone,
        {"AWS region": "eu-west-3"})
    assert [prompt.rstrip(":").split(" [")[0].split(",")[0].split(" (")[0] for prompt in prompts] == [
        "Stack name", "AWS region", "Custom domain for the API", "Issuer URL"], shown
    assert CREDENTIALS_CHECK in shown and status != 0
    assert "+ " + str(clone / "sam") + " deploy --stack-name serverless-oidc --region eu-west-3 --save-params" in shown
    # the answers are where a later `make deploy` (and oidc-admin) read them
    saved = tomllib.loads((clone / "samconfig.toml").read_text())["default"]
    saved = {**saved["global"]["parameters"], **saved["deploy"]["parameters"]}  # sam deploy reads both, in this order
    assert saved["region"] == "eu-west-3" and saved["stack_name"] == "serverless-oidc"


def test_a_custom_domain_asks_for_its_certificate_and_refuses_a_bad_answer(clone):
    certificate = "arn:aws:acm:eu-west-3:123456789012:certificate/0f1e2d3c-4b5a-6978-8899-aabbccddeeff"
    status, prompts, shown = at_a_terminal(
        [sys.executable, "-m", "oidc_tools.deploy", "--sam", str(clone / "sam"), "--guided", "--region", "eu-west-3"],
        clone, {"Custom domain": "auth.example.com", "ACM certificate": certificate})
    assert len(prompts) == 4 and prompts[-1].startswith("ACM certificate ARN for auth.example.com, issued in eu-west-3")
    assert (f"--parameter-overrides DomainName=auth.example.com CertificateArn={certificate} --save-params"
            in shown), shown
    assert CREDENTIALS_CHECK in shown and status != 0


def test_a_first_deploy_with_stack_and_region_asks_nothing(clone):
    result = subprocess.run(
        [sys.executable, "-m", "oidc_tools.deploy", "--sam", str(clone / "sam"), "--stack-name", "oidc-test",
         "--region", "eu-west-3", "LogLevel=DEBUG"],
        cwd=clone, env=offline_environment(clone), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=SECONDS)
    assert result.returncode != 0 and CREDENTIALS_CHECK in result.stderr, result.stderr
    assert "Saved parameters to config file" in result.stdout + result.stderr


@pytest.mark.parametrize("arguments, message", [
    ([], "make deploy: no AWS region: the first time, make deploy STACK=<name> REGION=<region> (or GUIDED=1 to be "
         "asked)"),
    (["--region", "eu-west-3", "IpFailureThreshold=abc"], "make deploy: parameter IpFailureThreshold='abc': not a number"),
    (["--guided"], "make deploy: GUIDED=1 asks at a terminal; without one: make deploy STACK=<name> REGION=<region>"),
], ids=["no-region", "bad-parameter", "guided-without-terminal"])
def test_what_cannot_deploy_is_one_line_before_the_build(clone, arguments, message):
    result = subprocess.run([sys.executable, "-m", "oidc_tools.deploy", "--sam", str(clone / "sam"), *arguments],
                            cwd=clone, env=offline_environment(clone), stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=SECONDS)
    assert result.returncode == 2 and result.stderr.splitlines() == [message]
    assert "build" not in result.stdout


def test_sam_deploy_guided_does_not_ask_about_the_public_routes(clone):
    status, prompts, shown = at_a_terminal([str(SAM), "deploy", "--guided"], clone, {"AWS Region": "eu-west-3"})
    assert not [prompt for prompt in prompts if "has no authentication" in prompt], prompts
    assert CREDENTIALS_CHECK in shown and status != 0  # Enter everywhere went all the way to the credentials check
