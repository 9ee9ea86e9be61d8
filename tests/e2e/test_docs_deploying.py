"""docs/deploying.md's Deploying section (with its custom domain), run as far as this machine can: every command in its blocks is run as written.

- `make …` lines run for real with `SAM=` a stand-in that runs the real `sam build` and records what `sam deploy`
  would have been asked (no AWS account here): so the build, the `.venv` with oidc-admin, and the deploy's arguments
  are the Makefile's, not a description of it.
- `.venv/bin/oidc-admin …` lines run as written, from a directory holding the samconfig.toml that `sam deploy --guided`
  leaves (region and profile in it, none in the environment), against an AWS emulator whose CloudFormation answers
  for a stack with our outputs, in that region only. `user create` gets its password typed at a terminal.
A command the test does not know how to check fails it, so the section cannot grow past what is checked.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import pty
import select
import shlex
import shutil
import subprocess
import termios
import time
import tomllib

import boto3
import pytest
from moto.server import ThreadedMotoServer

from oidc_core import aws
from oidc_core.passwords import hashing
from oidc_tools import template
from oidc_tools.stack import operations
from oidc_tools.stack.operations import RESOURCES
from oidc_tools.stack.provision import provision
from doc_blocks import blocks_run_by
from stack_process import ROOT
from terminal import answer_prompts

# moto creates no resource for the placeholder a stack needs; it only warns, and outputs are all the admin reads
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.*WaitConditionHandle")

REGION, PROFILE = "eu-west-3", "deployer"
PASSWORD = "a long passphrase typed twice"
BUILD_SECONDS = 900  # a deadline for a cold `sam build` on a slow machine, not a measure


def deploying_commands() -> list[str]:
    """The commands of the blocks whose `<!-- not run: … -->` mark sends them here (they need an AWS account: the
    doc runner skips them), continuation lines joined."""
    commands = []
    for block in blocks_run_by("tests/e2e/test_docs_deploying.py"):
        for line in block.code.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


def without_comment(command: str) -> str:
    return shlex.join(shlex.split(command, comments=True))


@pytest.fixture
def sam_stand_in(tmp_path):
    """A `sam` that builds for real and records each deploy's arguments (one JSON list per line)."""
    record = tmp_path / "sam-deploy-calls"
    script = tmp_path / "sam"
    script.write_text(f"""#!/bin/bash
if [ "$1" = build ]; then exec {ROOT / '.venv-sam/bin/sam'} "$@"; fi
{ROOT / '.venv/bin/python'} -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> {record}
""")
    script.chmod(0o755)
    return script, record


@pytest.fixture
def deployed(tmp_path, monkeypatch):
    """What the operator's account holds after `sam deploy`: the stack's tables and secrets, and CloudFormation
    answering for the stack with its outputs, all in REGION, in an emulator the admin command reaches over HTTP."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    monkeypatch.setattr(logging.getLogger("werkzeug"), "level", logging.ERROR)  # the emulator's access log
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    aws.client.cache_clear()
    try:
        provisioned = provision(template.load(), {"IssuerUrl": "https://auth.example.com/oidc"})
        stack_name = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]["global"]["parameters"][
            "stack_name"]
        outputs = {output: {"Value": getattr(provisioned.target, field)} for field, (_, output) in RESOURCES.items()}
        boto3.client("cloudformation").create_stack(StackName=stack_name, TemplateBody=json.dumps({
            "Resources": {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}, "Outputs": outputs}))
        yield endpoint, provisioned.target
    finally:
        server.stop()
        aws.client.cache_clear()


def guided_samconfig(directory) -> None:
    """samconfig.toml as `sam deploy --guided` leaves it: the repository's, with the region and profile answered."""
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    config["default"].setdefault("deploy", {}).setdefault("parameters", {}).update(region=REGION, profile=PROFILE)
    lines = [f"version = {config.pop('version')}"]
    for environment, commands in config.items():
        for command, sections in commands.items():
            lines.append(f"\n[{environment}.{command}.parameters]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in sections["parameters"].items()]
    (directory / "samconfig.toml").write_text("\n".join(lines) + "\n")


def operator_environment(directory, endpoint: str) -> dict:
    """No AWS settings but the profile's; the endpoint sends the calls to the emulator."""
    (directory / "aws-config").write_text(f"[profile {PROFILE}]\naws_access_key_id = deployer\n"
                                          "aws_secret_access_key = deployer\n")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return {**environment, "HOME": str(directory), "AWS_CONFIG_FILE": str(directory / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(directory / "no-credentials"), "AWS_ENDPOINT_URL": endpoint}


def run_at_a_terminal(command: str, cwd, environment: dict, answers: list[tuple[str, str]], seconds: float = 60):
    """Run command with a terminal of its own; type each answer once its prompt has appeared on that terminal."""
    master, terminal = pty.openpty()
    process = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=environment, stdin=terminal,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                               preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(terminal)
    shown, deadline = b"", time.monotonic() + seconds
    try:
        for prompt, answer in answers:
            while shown.count(prompt.encode()) < 1:
                assert time.monotonic() < deadline, f"no {prompt!r} prompt within {seconds} s: {shown!r}"
                if select.select([master], [], [], 0.2)[0]:
                    shown += os.read(master, 4096)
            shown = shown.split(prompt.encode(), 1)[1]
            os.write(master, answer.encode() + b"\n")
        stdout, stderr = process.communicate(timeout=seconds)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return process.returncode, stdout.decode(), stderr.decode()


def test_the_deploying_section_runs_as_written(tmp_path, sam_stand_in, deployed):
    sam, record = sam_stand_in
    endpoint, target = deployed
    workdir = tmp_path / "clone"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    guided_samconfig(workdir)
    environment = operator_environment(workdir, endpoint)
    # where make deploy reads and saves its answers: a copy, so that the repository's samconfig.toml stays as it is
    deploy_config = tmp_path / "samconfig.toml"
    shutil.copy(ROOT / "samconfig.toml", deploy_config)
    plumbing = ["--no-print-directory", f"SAM={sam}", f"SAMCONFIG={deploy_config}"]
    checked = []
    for command in deploying_commands():
        words = shlex.split(command, comments=True)
        if words[0] == "make":
            variables = dict(word.split("=", 1) for word in words[1:] if "=" in word)
            if variables.get("GUIDED") == "1":  # the questions at a terminal: Enter but for the region
                code, _, output = answer_prompts([*words, *plumbing], cwd=ROOT, env=None,
                                                 answers={"AWS region": REGION}, seconds=BUILD_SECONDS)
            else:
                result = subprocess.run([*words, *plumbing], cwd=ROOT, capture_output=True,
                                        text=True, timeout=BUILD_SECONDS)
                code, output = result.returncode, result.stdout + result.stderr
            assert code == 0, f"{command}\n{output}"
            assert "Build Succeeded" in output, command  # the real sam build ran
            deploy = json.loads(record.read_text().splitlines()[-1])
            expected = ["deploy", "--config-file", str(deploy_config)]
            first_deploy = variables.get("GUIDED") == "1" or "STACK" in variables
            if variables.get("GUIDED") == "1":
                expected += ["--stack-name", "serverless-oidc", "--region", REGION]
            elif first_deploy:
                expected += ["--stack-name", variables["STACK"], "--region", variables["REGION"]]
            if variables.get("PARAMS"):
                expected += ["--parameter-overrides", *variables["PARAMS"].split()]
            assert deploy == expected, command
            if variables.get("GUIDED") == "1":  # saved after the deploy (the stack the fixture made), for the next
                # deploys and oidc-admin
                answers = tomllib.loads(deploy_config.read_text())["default"]["deploy"]["parameters"]
                assert (answers["stack_name"], answers["region"]) == (expected[4], expected[6]), command
            # in a fresh clone, .venv (and .venv/bin/oidc-admin with it) is made on the way: as if it were stale
            dry_run = subprocess.run([*words, "--no-print-directory", "-n", "-W", "pyproject.toml", f"SAM={sam}"],
                                     cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
            assert "pip install -q -r requirements-dev.txt -e ." in dry_run, dry_run
        elif words[0] == ".venv/bin/oidc-admin":
            if "create" in words and "user" in words and "--password-stdin" not in words:
                code, stdout, stderr = run_at_a_terminal(without_comment(command), workdir, environment,
                                                         [("Password: ", PASSWORD), ("Password again: ", PASSWORD)])
            else:
                result = subprocess.run(["bash", "-c", without_comment(command)], cwd=workdir, env=environment,
                                        capture_output=True, text=True, timeout=120)
                code, stdout, stderr = result.returncode, result.stdout, result.stderr
            assert code == 0, f"{command}\n{stderr}"
            check_admin_result(words[1:], json.loads(stdout), target)
        else:
            pytest.fail(f"docs/deploying.md's Deploying has a command this test does not check: {command}")
        checked.append(words[0] if words[0] == "make" else " ".join(words[1:3]))
    # what the section must keep showing: the deploy, a client and a user (the first keys need no step: the
    # stack's rotation schedules make them)
    assert {"make", "client create", "user create"} <= set(checked), checked


def check_admin_result(arguments: list[str], result: dict, target) -> None:
    """What each documented admin command must have done to the stack in REGION (the profile's keys reached it)."""
    if arguments[:2] == ["keys", "rotate"]:
        public = json.loads(boto3.client("secretsmanager").get_secret_value(
            SecretId=target.public_keys_secret_id, VersionStage="AWSCURRENT")["SecretString"])
        assert result["signing_key"]["kid"] in [key["kid"] for key in public["jwks"]["keys"]]
    elif arguments[:2] == ["client", "create"]:
        assert result["client_id"] == arguments[2] and len(result["client_secret"]) >= 43
        assert operations.clients.find(target.clients_table, arguments[2]) is not None
    elif arguments[:2] == ["user", "create"]:
        username = arguments[arguments.index("--username") + 1]
        user = operations.find_user(target, "username", username)
        assert user is not None and user.sub == result["sub"]
        assert hashing.verify_password(PASSWORD, user.password_hash)
    else:
        pytest.fail(f"no check for oidc-admin {' '.join(arguments)}")
