"""The first deploy as an operator meets it, at a terminal, with nothing reaching the network: no AWS configuration,
the instance metadata service off, every HTTP(S) request sent to a proxy address where nothing listens.

- Without credentials, `make deploy` (oidc_tools.deploy) says so in one line before the first question and before
  the 30 s build, and samconfig.toml is left as it was.
- With credentials (STS emulated by a moto server on this machine, fake keys), `make deploy GUIDED=1` asks the few
  answers without a default, with a way back from the certificate question, then runs `sam build` and `sam deploy`
  (stand-ins here: what is tested is what oidc_tools.deploy runs and saves) and saves the answers in samconfig.toml
  only once the deploy has succeeded.
- `sam deploy --guided` run by hand (the real SAM CLI) does not ask "…has no authentication. Is this okay?" for each
  public route (the template's HttpApi says Auth), where Enter stopped the deploy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import urllib.request

import pytest

from stack_process import ROOT
from terminal import answer_prompts

SAM = ROOT / ".venv-sam" / "bin" / "sam"
SECONDS = 180  # a deadline for a slow machine, not a measure: the CLI starts in seconds
CREDENTIALS_CHECK = "Unable to locate credentials"

# moto creates no resource for the placeholder the stand-in's stack holds; it only warns (the stack is what counts)
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.*WaitConditionHandle")
needs_sam = pytest.mark.skipif(not SAM.exists(), reason="needs the SAM CLI in .venv-sam (make validate makes it)")
NO_CREDENTIALS = ("make deploy: no usable AWS credentials (Unable to locate credentials): configure them (aws "
                  "configure, or AWS_PROFILE=…) and run it again; nothing was asked, built or saved")


STAND_IN = """import os, sys
print("sam " + " ".join(sys.argv[1:]) + " (stand-in)", flush=True)
status = int(os.environ.get("SAM_STAND_IN_STATUS") or 0)
if sys.argv[1] == "deploy" and status == 0 and not os.environ.get("SAM_STAND_IN_DECLINES"):
    import boto3
    given = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    boto3.client("cloudformation", region_name=given.get("--region")).create_stack(
        StackName=given.get("--stack-name", "serverless-oidc"),
        TemplateBody='{"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}')
sys.exit(status if sys.argv[1] == "deploy" else 0)
"""


@pytest.fixture
def clone(tmp_path):
    """A directory holding what sam deploy reads (template.yaml, samconfig.toml), so what is saved lands there; and
    a stand-in `sam` that says what it was asked to do, and whose deploy creates the stack (in whatever AWS the
    environment names) unless SAM_STAND_IN_STATUS makes it fail or SAM_STAND_IN_DECLINES has it end well without a
    deploy, as sam does when the change set is declined."""
    for name in ("template.yaml", "samconfig.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    stand_in = tmp_path / "sam"
    stand_in.write_text(f"#!{sys.executable}\n" + STAND_IN)
    stand_in.chmod(0o755)
    return tmp_path


def offline_environment(directory) -> dict:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("AWS_") and name.lower() not in ("no_proxy", "http_proxy", "https_proxy")}
    nowhere = "http://127.0.0.1:9"  # the discard port: a request fails at once instead of leaving the machine
    return {**environment, "HOME": str(directory), "AWS_CONFIG_FILE": str(directory / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(directory / "no-aws-credentials"), "AWS_EC2_METADATA_DISABLED": "true",
            "HTTP_PROXY": nowhere, "HTTPS_PROXY": nowhere, "SAM_CLI_TELEMETRY": "0", "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def emulator():
    """A moto server on a port the system picks: STS answers GetCallerIdentity for any keys, as AWS does, and
    CloudFormation holds the stacks the stand-in deploys."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def emulated_sts(emulator):
    """The emulator, emptied: no stack deployed by an earlier test."""
    request = urllib.request.Request(f"{emulator}/moto-api/reset", method="POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30):
        pass
    return emulator


def with_credentials(directory, endpoint_url: str, **extra: str) -> dict:
    return {**offline_environment(directory), "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00",
            "AWS_SECRET_ACCESS_KEY": "fake-secret-for-the-emulator", "AWS_ENDPOINT_URL": endpoint_url,
            "NO_PROXY": "127.0.0.1", **extra}


def deploy_command(clone, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "oidc_tools.deploy", "--sam", str(clone / "sam"), *arguments]


def at_a_terminal(command: list[str], cwd, answers: dict, env: dict | None = None) -> tuple[int, list[str], str]:
    return answer_prompts(command, cwd=cwd, env=env or offline_environment(cwd), answers=answers, seconds=SECONDS)


def saved(clone) -> dict:
    config = tomllib.loads((clone / "samconfig.toml").read_text())["default"]
    return {**config["global"]["parameters"], **config["deploy"]["parameters"]}  # sam deploy reads both, in order


def test_without_credentials_nothing_is_asked_built_or_saved(clone):
    before = (clone / "samconfig.toml").read_bytes()
    status, prompts, shown = at_a_terminal(deploy_command(clone, "--guided"), clone, {"AWS region": "eu-west-1"})
    assert status == 2 and prompts == [], shown
    assert shown.strip().splitlines()[-1] == NO_CREDENTIALS
    assert "stand-in" not in shown  # no build
    assert (clone / "samconfig.toml").read_bytes() == before


def test_without_credentials_a_deploy_with_its_answers_given_stops_before_the_build(clone):
    before = (clone / "samconfig.toml").read_bytes()
    result = subprocess.run(deploy_command(clone, "--stack-name", "oidc-test", "--region", "eu-west-3"), cwd=clone,
                            env=offline_environment(clone), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=SECONDS)
    assert result.returncode == 2 and result.stderr.splitlines() == [NO_CREDENTIALS]
    assert result.stdout == "" and (clone / "samconfig.toml").read_bytes() == before


def test_a_guided_first_deploy_asks_only_what_has_no_default_and_saves_after_the_deploy(clone, emulated_sts):
    status, prompts, shown = at_a_terminal(deploy_command(clone, "--guided"), clone, {"AWS region": "eu-west-3"},
                                           with_credentials(clone, emulated_sts))
    assert status == 0, shown
    assert [prompt.rstrip(":").split(" [")[0].split(",")[0].split(" (")[0] for prompt in prompts] == [
        "Stack name", "AWS region", "Custom domain for the API", "Issuer URL"], shown
    assert "Deploying as arn:aws:" in shown.split(prompts[0])[0]  # the credentials, before the first question
    assert "sam build (stand-in)" in shown
    assert "sam deploy --stack-name serverless-oidc --region eu-west-3 (stand-in)" in shown
    # the answers are where a later `make deploy` (and oidc-admin) read them
    assert saved(clone)["region"] == "eu-west-3" and saved(clone)["stack_name"] == "serverless-oidc"


def test_a_failed_deploy_leaves_samconfig_as_it_was(clone, emulated_sts):
    before = (clone / "samconfig.toml").read_bytes()
    status, prompts, shown = at_a_terminal(deploy_command(clone, "--guided"), clone, {"AWS region": "eu-west-3"},
                                           with_credentials(clone, emulated_sts, SAM_STAND_IN_STATUS="1"))
    assert status == 1 and len(prompts) == 4, shown
    assert "sam build (stand-in)" in shown
    assert "make deploy: deploy failed: samconfig.toml left as it was" in shown
    assert (clone / "samconfig.toml").read_bytes() == before


def test_a_declined_change_set_leaves_samconfig_as_it_was(clone, emulated_sts):
    """sam deploy ends with 0 when the operator answers N to "Deploy this changeset?": nothing was deployed."""
    before = (clone / "samconfig.toml").read_bytes()
    status, prompts, shown = at_a_terminal(deploy_command(clone, "--guided"), clone, {"AWS region": "eu-west-3"},
                                           with_credentials(clone, emulated_sts, SAM_STAND_IN_DECLINES="1"))
    assert status == 0 and len(prompts) == 4, shown
    assert "stack serverless-oidc is not deployed (the change set declined?)" in shown
    assert (clone / "samconfig.toml").read_bytes() == before


def test_a_custom_domain_asks_for_its_certificate_and_refuses_a_bad_answer(clone, emulated_sts):
    certificate = "arn:aws:acm:eu-west-3:123456789012:certificate/0f1e2d3c-4b5a-6978-8899-aabbccddeeff"
    status, prompts, shown = at_a_terminal(
        deploy_command(clone, "--guided", "--region", "eu-west-3"), clone,
        {"Custom domain": "auth.example.com", "ACM certificate": ["not-an-arn", certificate]},
        with_credentials(clone, emulated_sts))
    assert status == 0, shown
    assert len(prompts) == 5 and prompts[-1].startswith("ACM certificate ARN for auth.example.com, issued in eu-west-3")
    assert "'not-an-arn'" in shown  # refused, said, asked again
    assert f"--parameter-overrides DomainName=auth.example.com CertificateArn={certificate} (stand-in)" in shown, shown
    assert saved(clone)["parameter_overrides"] == f"DomainName=auth.example.com CertificateArn={certificate}"


def test_the_certificate_question_has_a_way_back_to_no_custom_domain(clone, emulated_sts):
    status, prompts, shown = at_a_terminal(
        deploy_command(clone, "--guided", "--region", "eu-west-3"), clone,
        {"Custom domain": ["auth.example.com", ""], "ACM certificate": ["", "-"]},
        with_credentials(clone, emulated_sts))
    assert status == 0, shown
    asked = [prompt.split(" [")[0].split(",")[0].split(" (")[0] for prompt in prompts]
    assert asked == ["Stack name", "AWS region", "Custom domain for the API", "ACM certificate ARN for auth.example.com",
                     "ACM certificate ARN for auth.example.com", "Custom domain for the API", "Issuer URL"], shown
    assert "an answer is needed (- goes back to the question before)" in shown
    assert "sam deploy --stack-name serverless-oidc --region eu-west-3 (stand-in)" in shown  # no domain after all
    assert "parameter_overrides" not in saved(clone)


def test_a_first_deploy_with_stack_and_region_asks_nothing(clone, emulated_sts):
    result = subprocess.run(deploy_command(clone, "--stack-name", "oidc-test", "--region", "eu-west-3",
                                           "LogLevel=DEBUG"),
                            cwd=clone, env=with_credentials(clone, emulated_sts), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=SECONDS)
    assert result.returncode == 0, result.stderr
    assert "sam deploy --stack-name oidc-test --region eu-west-3 --parameter-overrides LogLevel=DEBUG" in result.stdout
    assert (saved(clone)["stack_name"], saved(clone)["region"]) == ("oidc-test", "eu-west-3")
    assert saved(clone)["parameter_overrides"] == "LogLevel=DEBUG"


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


@needs_sam
def test_sam_deploy_guided_does_not_ask_about_the_public_routes(clone):
    status, prompts, shown = at_a_terminal([str(SAM), "deploy", "--guided"], clone, {"AWS Region": "eu-west-3"})
    assert not [prompt for prompt in prompts if "has no authentication" in prompt], prompts
    assert CREDENTIALS_CHECK in shown and status != 0  # Enter everywhere went all the way to the credentials check
