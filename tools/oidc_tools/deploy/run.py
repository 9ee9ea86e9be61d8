"""`make deploy`: check the parameters, build, and `sam deploy` the stack samconfig.toml names.

The first deploy needs what has no default: a stack name, a region, and a custom domain or issuer if there is one.
`make deploy GUIDED=1` asks just those (`sam deploy --guided` would ask every template parameter too, 50 questions);
`make deploy STACK=… REGION=…` takes them from the command line. Either way they are saved in samconfig.toml
(`sam deploy --save-params`), where later deploys and oidc-admin find them, so later deploys are `make deploy`.
Parameters (`PARAMS="Name=Value …"`) are checked against template.yaml's constraints before the build starts.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys

from oidc_tools import template as cfn
from oidc_tools.admin.cli import deploy_settings, samconfig_file

DEFAULT_STACK_NAME = "serverless-oidc"
# CloudFormation: a letter, then letters, digits and hyphens, 128 at most
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


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


def ask(question: str, default: str | None, check) -> str:
    """One question at the terminal; Enter takes the default (none: an answer is needed). A refused answer is said in
    one line and asked again."""
    shown = f" [{default}]" if default is not None else ""
    while True:
        answer = input(f"{question}{shown}: ").strip()
        if not answer and default is None:
            print("  an answer is needed", file=sys.stderr)
            continue
        answer = answer or default
        problem = check(answer)
        if problem is None:
            return answer
        print(f"  {problem}", file=sys.stderr)


def _pattern_check(pattern: re.Pattern, what: str):
    return lambda answer: None if pattern.fullmatch(answer) else f"{answer!r} is not {what}"


def _parameter_check(template: dict, name: str):
    return lambda answer: cfn.parameter_problem(name, template["Parameters"][name], answer)


def guided_answers(template: dict, settings: dict, stack_name: str | None, region: str | None,
                   parameters: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """Stack name, region, and the custom domain (with its certificate) or the issuer: the only answers without a
    default. What was saved before, or given on the command line, is offered as the default."""
    known = {**_saved_overrides(settings), **parameters}
    print("The answers are saved in samconfig.toml; later deploys are `make deploy`. Enter takes [the default].")
    stack_name = ask("Stack name", stack_name or settings.get("stack_name") or DEFAULT_STACK_NAME,
                     _pattern_check(STACK_NAME, "a stack name (a letter, then letters, digits and hyphens)"))
    region = ask("AWS region", region or default_region(settings),
                 _pattern_check(REGION, "an AWS region such as eu-west-1"))
    domain = ask("Custom domain for the API, e.g. auth.example.com (Enter: none, the API's own URL)",
                 known.get("DomainName", ""), _parameter_check(template, "DomainName"))
    answers = {"DomainName": domain}
    if domain:
        answers["CertificateArn"] = ask(f"ACM certificate ARN for {domain}, issued in {region}",
                                        known.get("CertificateArn") or None,
                                        _parameter_check(template, "CertificateArn"))
    else:
        answers["IssuerUrl"] = ask("Issuer URL, for a front of your own such as CloudFront (Enter: none, the API's "
                                   "own URL)", known.get("IssuerUrl", ""), _parameter_check(template, "IssuerUrl"))
    # an empty answer is passed only to clear what was set before: a first deploy gets the template's defaults
    answers = {name: value for name, value in answers.items() if value or known.get(name)}
    return stack_name, region, {**parameters, **answers}


def sam_commands(sam: str, stack_name: str | None, region: str | None, parameters: dict[str, str],
                 save: bool) -> list[list[str]]:
    deploy = [sam, "deploy"]
    if stack_name:
        deploy += ["--stack-name", stack_name]
    if region:
        deploy += ["--region", region]
    if parameters:
        deploy += ["--parameter-overrides", *(f"{name}={value}" for name, value in parameters.items())]
    if save:
        deploy.append("--save-params")
    return [[sam, "build"], deploy]


def plan(args: argparse.Namespace) -> list[list[str]]:
    """The sam commands to run, once everything that can be checked here has been."""
    template = cfn.load()
    parameters = _parameter_assignments(args.parameters)
    problems = cfn.parameter_problems(template, parameters)
    if problems:
        raise DeployError(f"parameter {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    settings = deploy_settings(samconfig_file(None))
    stack_name, region = args.stack_name, args.region
    if args.guided:
        if not sys.stdin.isatty():
            raise DeployError("GUIDED=1 asks at a terminal; without one: make deploy STACK=<name> REGION=<region>")
        stack_name, region, parameters = guided_answers(template, settings, stack_name, region, parameters)
    elif not (region or default_region(settings)):
        raise DeployError("no AWS region: the first time, make deploy STACK=<name> REGION=<region> "
                          "(or GUIDED=1 to be asked)")
    return sam_commands(args.sam, stack_name, region, parameters,
                        save=bool(args.guided or args.stack_name or args.region))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--sam", default="sam", help="the SAM CLI to run (make passes .venv-sam's)")
    parser.add_argument("--guided", action="store_true", help="ask the answers that have no default (GUIDED=1)")
    parser.add_argument("--stack-name", help="STACK=: the stack to deploy (default: samconfig.toml's)")
    parser.add_argument("--region", help="REGION=: where (default: samconfig.toml's, else your AWS configuration's)")
    parser.add_argument("parameters", nargs="*", metavar="Name=Value", help="PARAMS=: template parameters")
    args = parser.parse_args(argv)
    try:
        build, deploy = plan(args)
        print(f"+ {shlex.join(build)}", file=sys.stderr, flush=True)
        status = subprocess.run(build).returncode
    except DeployError as error:
        print(f"make deploy: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nmake deploy: interrupted, nothing deployed", file=sys.stderr)
        return 130
    except EOFError:
        print("\nmake deploy: no answer (end of input), nothing deployed", file=sys.stderr)
        return 1
    if status:
        return status
    print(f"+ {shlex.join(deploy)}", file=sys.stderr, flush=True)
    os.execvp(deploy[0], deploy)  # sam's own prompt (apply the change set?) gets the terminal as it is


if __name__ == "__main__":
    sys.exit(main())
