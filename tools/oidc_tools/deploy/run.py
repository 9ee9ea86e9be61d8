"""`make deploy`: check the parameters, build, and `sam deploy` the stack samconfig.toml names.

The first deploy needs what has no default: a stack name, a region, and a custom domain or issuer if there is one.
`make deploy GUIDED=1` asks just those (`sam deploy --guided` would ask every template parameter too, 50 questions);
`make deploy STACK=… REGION=…` takes them from the command line. Either way they are saved in samconfig.toml once
the deploy has succeeded, where later deploys and oidc-admin find them, so later deploys are `make deploy`.
The credentials are checked first (STS GetCallerIdentity): without them nothing is asked, built or saved.
Parameters (`PARAMS="Name=Value …"`) are checked against template.yaml's constraints before the build starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import subprocess
import sys
from pathlib import Path

from oidc_tools import template as cfn
from oidc_tools.admin.cli import deploy_settings, samconfig_file
from oidc_tools.admin.terminal import AdminError
from oidc_tools.deploy import questions
from oidc_tools.deploy.samconfig import SAMCONFIG, save_answers


class DeployError(Exception):
    """A mistake to report in one line before anything is built or deployed."""


def _parameter_assignments(words: list[str]) -> dict[str, str]:
    parameters = {}
    for word in words:
        name, equals, value = word.partition("=")
        if not equals:
            raise DeployError(f"PARAMS: {word!r} is not Name=Value")
        parameters[name] = value
    return parameters


def _saved_overrides(settings: dict) -> dict[str, str]:
    """The parameter_overrides samconfig.toml holds: a table (as --save-params writes it) or sam's Name=Value string."""
    saved = settings.get("parameter_overrides") or {}
    if isinstance(saved, str):
        return _parameter_assignments(shlex.split(saved))
    return {str(name): str(value) for name, value in saved.items()}


def default_region(settings: dict) -> str | None:
    """The region sam deploy would use without being told: samconfig.toml's, else the AWS configuration's."""
    if settings.get("region"):
        return settings["region"]
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.session.Session(profile_name=settings.get("profile")).region_name
    except BotoCoreError:
        return None


def guided_answers(template: dict, settings: dict, stack_name: str | None, region: str | None,
                   parameters: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """Stack name, region, and the custom domain (with its certificate) or the issuer: the only answers without a
    default. What was saved before, or given on the command line, is offered as the default."""
    known = {**_saved_overrides(settings), **parameters}
    print(f"The answers are saved in samconfig.toml once the deploy has succeeded; later deploys are `make deploy`. "
          f"Enter takes [the default], {questions.BACK} goes back to the question before.")
    answers = questions.ask_all(template, known, {
        "stack_name": stack_name or settings.get("stack_name") or questions.DEFAULT_STACK_NAME,
        "region": region or default_region(settings)})
    stack_name, region = answers.pop("stack_name"), answers.pop("region")
    # an empty answer is passed only to clear what was set before: a first deploy gets the template's defaults
    answers = {name: value for name, value in answers.items() if value or known.get(name)}
    return stack_name, region, {**parameters, **answers}


def stack_deployed(settings: dict, stack_name: str, region: str | None) -> bool:
    """Whether the stack stands deployed after `sam deploy` ended well: it ends well too when the operator declines
    the change set, and a declined first deploy leaves a stack in REVIEW_IN_PROGRESS, or none."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.session.Session(profile_name=settings.get("profile"), region_name=region or "us-east-1")
        stacks = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError):  # no such stack (a ValidationError), or AWS out of reach: not known deployed
        return False
    return bool(stacks) and stacks[0]["StackStatus"].endswith("_COMPLETE") and \
        stacks[0]["StackStatus"] not in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE")


def check_credentials(settings: dict, region: str | None) -> str:
    """Who the deploy would act as (STS GetCallerIdentity, which any credentials may call), before any question or
    build: without usable credentials nothing else is worth doing. Returns the caller's ARN."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.session.Session(profile_name=settings.get("profile"), region_name=region or "us-east-1")
        return session.client("sts").get_caller_identity()["Arn"]
    except ClientError as error:
        reason = error.response["Error"].get("Message") or error.response["Error"]["Code"]
    except BotoCoreError as error:
        reason = str(error)
    raise DeployError(f"no usable AWS credentials ({reason.rstrip('.')}): configure them (aws configure, or "
                      f"AWS_PROFILE=…) and run it again; nothing was asked, built or saved")


def sam_commands(sam: str, stack_name: str | None, region: str | None, parameters: dict[str, str],
                 config_file: str | None = None) -> list[list[str]]:
    config = ["--config-file", config_file] if config_file else []
    deploy = [sam, "deploy", *config]
    if stack_name:
        deploy += ["--stack-name", stack_name]
    if region:
        deploy += ["--region", region]
    if parameters:
        deploy += ["--parameter-overrides", *(f"{name}={value}" for name, value in parameters.items())]
    return [[sam, "build", *config], deploy]


@dataclasses.dataclass
class Plan:
    build: list[str]
    deploy: list[str]
    config_file: Path
    settings: dict
    stack: tuple[str, str | None]  # the stack sam deploys, and its region
    answers: tuple[str | None, str | None, dict[str, str]] | None  # saved in config_file after the deploy


def plan(args: argparse.Namespace) -> Plan:
    """The sam commands to run, once everything that can be checked here has been: the parameters, the
    credentials, the answers."""
    template = cfn.load()
    parameters = _parameter_assignments(args.parameters)
    problems = cfn.parameter_problems(template, parameters)
    if problems:
        raise DeployError(f"parameter {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    config = samconfig_file(args.config_file)
    try:
        settings = deploy_settings(config) if config is not None and config.is_file() else {}
    except AdminError as error:  # a samconfig.toml that cannot be read
        raise DeployError(str(error)) from None
    stack_name, region = args.stack_name, args.region
    if args.guided and not sys.stdin.isatty():
        raise DeployError("GUIDED=1 asks at a terminal; without one: make deploy STACK=<name> REGION=<region>")
    if not (args.guided or region or default_region(settings)):
        raise DeployError("no AWS region: the first time, make deploy STACK=<name> REGION=<region> "
                          "(or GUIDED=1 to be asked)")
    caller = check_credentials(settings, region or default_region(settings))
    print(f"Deploying as {caller}", file=sys.stderr, flush=True)
    if args.guided:
        stack_name, region, parameters = guided_answers(template, settings, stack_name, region, parameters)
    build, deploy = sam_commands(args.sam, stack_name, region, parameters, args.config_file)
    save = args.guided or args.stack_name or args.region
    stack = (stack_name or settings.get("stack_name") or questions.DEFAULT_STACK_NAME,
             region or default_region(settings))
    return Plan(build, deploy, Path(args.config_file or SAMCONFIG), settings, stack,
                (stack_name, region, parameters) if save else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--sam", default="sam", help="the SAM CLI to run (make passes .venv-sam's)")
    parser.add_argument("--guided", action="store_true", help="ask the answers that have no default (GUIDED=1)")
    parser.add_argument("--stack-name", help="STACK=: the stack to deploy (default: samconfig.toml's)")
    parser.add_argument("--region", help="REGION=: where (default: samconfig.toml's, else your AWS configuration's)")
    parser.add_argument("--config-file", metavar="FILE", help="SAMCONFIG=: the samconfig.toml to read, and to save "
                                                                 "the answers in (default: ./samconfig.toml)")
    parser.add_argument("parameters", nargs="*", metavar="Name=Value", help="PARAMS=: template parameters")
    args = parser.parse_args(argv)
    try:
        steps = plan(args)
        for command in (steps.build, steps.deploy):
            print(f"+ {shlex.join(command)}", file=sys.stderr, flush=True)
            status = subprocess.run(command).returncode  # sam's own prompts get the terminal as it is
            if status:
                if steps.answers:
                    print(f"make deploy: {command[1]} failed: {steps.config_file} left as it was", file=sys.stderr)
                return status
    except DeployError as error:
        print(f"make deploy: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nmake deploy: interrupted, nothing saved", file=sys.stderr)
        return 130
    except EOFError:
        print("\nmake deploy: no answer (end of input), nothing deployed", file=sys.stderr)
        return 1
    if steps.answers and not stack_deployed(steps.settings, *steps.stack):
        print(f"make deploy: stack {steps.stack[0]} is not deployed (the change set declined?): {steps.config_file} "
              "left as it was", file=sys.stderr)
        return 0
    if steps.answers:
        save_answers(steps.config_file, *steps.answers)
        print(f"make deploy: the answers are saved in {steps.config_file}; later deploys are `make deploy`",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
