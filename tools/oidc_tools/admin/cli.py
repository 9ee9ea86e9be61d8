"""oidc-admin: manage clients, users and keys of a serverless-oidc stack (a deployed one, or `make dev` with --local).

This module finds the stack a command is for (`make dev`'s with --local, else a deployed one as `sam deploy` finds
it), runs the command and prints its answer as JSON, or one line on stderr. parser.py holds the command line,
commands.py what each command does, terminal.py what is asked of the operator (secrets never come from the command
line, where they would land in shell history and process listings).
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from oidc_core.config import JWKS_MAX_AGE_SECONDS, OWASP_MINIMUM_ARGON2, Argon2Parameters
from oidc_core.errors import OAuthError
from oidc_core.store.clients import ClientExists, NoSuchClient
from oidc_core.store.users import IdentifierTaken
from oidc_tools.admin.parser import build_parser
from oidc_tools.admin.terminal import AdminError
from oidc_tools.stack.operations import KMS_KEYS, OPTIONAL_RESOURCES, RESOURCES, Target
from oidc_tools.template import ROOT


SAMCONFIG = "samconfig.toml"
DEFAULT_STACK_NAME = "serverless-oidc"
# Credentials a named profile replaces, as `sam deploy --profile` (a boto3 session of that profile) ignores them
_ENVIRONMENT_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def samconfig_file(given: str | None) -> Path | None:
    """The samconfig.toml `sam deploy` reads: the one in the current directory (where make deploy runs it), else
    the repository's; --config-file names another."""
    if given:
        return Path(given)
    for candidate in (Path.cwd() / SAMCONFIG, ROOT / SAMCONFIG):
        if candidate.is_file():
            return candidate
    return None


def deploy_settings(config_file: Path | None, config_env: str = "default") -> dict:
    """What `sam deploy --config-env ENV` takes from samconfig.toml: [ENV.deploy.parameters] over
    [ENV.global.parameters] (stack_name, region, profile…)."""
    if config_file is None:
        return {}
    try:
        config = tomllib.loads(config_file.read_text())
    except OSError as error:
        raise AdminError(f"cannot read {config_file}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise AdminError(f"{config_file} is not valid TOML: {error}") from None
    if config_env not in config and config_env != "default":
        raise AdminError(f"{config_file} has no environment [{config_env}]")
    environment = config.get(config_env, {})
    return {**environment.get("global", {}).get("parameters", {}),
            **environment.get("deploy", {}).get("parameters", {})}


def use_aws(region: str | None, profile: str | None) -> None:
    """Make this process's AWS calls go to the region and profile given (None: leave boto3's own resolution)."""
    from oidc_core import aws

    if profile:
        os.environ["AWS_PROFILE"] = profile
        for name in _ENVIRONMENT_CREDENTIALS:
            os.environ.pop(name, None)
    if region:
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = region
    aws.client.cache_clear()  # clients are made per region and profile


def _running_local_ports() -> list[int]:
    """Ports of the local stacks running now (a state file whose process is alive)."""
    from oidc_tools.local.stack import STATE_DIR

    ports = []
    for path in sorted(STATE_DIR.glob("*.json")):
        try:
            pid = json.loads(path.read_text()).get("pid")
            if path.stem.isdigit() and isinstance(pid, int):
                os.kill(pid, 0)
                ports.append(int(path.stem))
        except PermissionError:  # alive, someone else's
            ports.append(int(path.stem))
        except (OSError, ValueError, AttributeError):
            continue
    return ports


def local_target(port: int) -> Target:
    from oidc_tools.local.stack import point_boto3_at, state_file

    try:
        state = json.loads(state_file(port).read_text())
    except FileNotFoundError:
        others = [other for other in _running_local_ports() if other != port]
        if others:
            where = f"local stacks run on {', '.join(map(str, others))}" if len(others) > 1 else \
                f"one runs on {others[0]}"
            raise AdminError(f"no local stack on port {port}, but {where}: pass --port {others[0]} "
                             f"(or start one with `make dev PORT={port}`)") from None
        raise AdminError(f"no local stack on port {port}: start one with `make dev PORT={port}`, or pass the "
                         f"port of the running one with --port") from None
    point_boto3_at(state["endpoint_url"])
    target = state["target"]
    return Target(**{**target, "argon2": Argon2Parameters(**target["argon2"])})


def deployed_target(stack_name: str) -> Target:
    from oidc_core import aws

    with aws.dependency("cloudformation"):
        try:
            stack = aws.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
        except ClientError as error:
            raise AdminError(f"cannot read stack {stack_name!r}: {error.response['Error']['Message']}") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    parameters = {item["ParameterKey"]: item.get("ParameterValue") for item in stack.get("Parameters", [])}
    missing = [output for _, output in RESOURCES.values() if output not in outputs]
    if missing:
        raise AdminError(f"stack {stack_name!r} has no output {', '.join(missing)}: is it a serverless-oidc stack?")
    return Target(
        **{field: outputs[output] for field, (_, output) in RESOURCES.items()},
        default_phone_country_code=parameters.get("DefaultPhoneCountryCode") or "+86",
        # as the stack's functions count it (Settings.signing_activation_seconds)
        signing_activation_seconds=int(parameters.get("KeyCacheSeconds") or 300) + JWKS_MAX_AGE_SECONDS + 60,
        argon2=Argon2Parameters(
            memory_kib=int(parameters.get("Argon2MemoryKib") or OWASP_MINIMUM_ARGON2.memory_kib),
            iterations=int(parameters.get("Argon2Iterations") or OWASP_MINIMUM_ARGON2.iterations),
            lanes=OWASP_MINIMUM_ARGON2.lanes,
        ),
        **{field: outputs.get(output, "") for field, (_, output) in KMS_KEYS.items()},
        **{field: outputs.get(output, "") for field, (_, output) in OPTIONAL_RESOURCES.items()},
    )


def _deployed_target_from_settings(args) -> Target:
    settings = deploy_settings(samconfig_file(args.config_file), args.config_env)
    use_aws(args.region or settings.get("region"), args.profile or settings.get("profile"))
    try:
        region = boto3.session.Session().region_name
    except ProfileNotFound as error:
        raise AdminError(str(error)) from None
    if not region:
        raise AdminError("no AWS region: pass --region, or set region in samconfig.toml "
                         "(`sam deploy --guided`, run by `make deploy GUIDED=1`, saves it there)")
    return deployed_target(args.stack_name or settings.get("stack_name") or DEFAULT_STACK_NAME)


# OIDC_ADMIN_DEBUG=1: an unexpected error shows its stack trace instead of one line
DEBUG_VARIABLE = "OIDC_ADMIN_DEBUG"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def run(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.local and args.stack_name:
        parser.error("--local and --stack-name name two different stacks: give one")
    if args.local and (args.region or args.profile or args.config_file or args.config_env != "default"):
        parser.error("--region, --profile, --config-file and --config-env are for a deployed stack, not --local")
    if getattr(args, "local_only", False) and not args.local:
        parser.error(f"{args.command} exists only on the local stack: add --local")
    try:
        target = local_target(args.port) if args.local else _deployed_target_from_settings(args)
        result = args.run(target, args)
    except (AdminError, ValueError, IdentifierTaken, ClientExists, NoSuchClient) as error:
        print(f"oidc-admin: {_one_line(error)}", file=sys.stderr)
        return 1
    except (OAuthError, BotoCoreError, ClientError) as error:  # AWS could not be reached or refused
        print(f"oidc-admin: AWS call failed: {_one_line(getattr(error, '__cause__', None) or error)}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 2 if isinstance(result.get("refused"), int) and result["refused"] else 0


def main(argv: list[str] | None = None) -> int:
    """Every way of stopping is one line on stderr and a non-zero status, never a stack trace: Ctrl-C (130, as a
    shell reports SIGINT), Ctrl-D at a prompt, and what nobody expected (OIDC_ADMIN_DEBUG=1 shows its trace)."""
    try:
        return run(argv)
    except KeyboardInterrupt:
        print("\noidc-admin: interrupted", file=sys.stderr)
        return 130
    except EOFError:
        print("\noidc-admin: no answer (end of input)", file=sys.stderr)
        return 1
    except Exception as error:
        if os.environ.get(DEBUG_VARIABLE) == "1":
            raise
        print(f"oidc-admin: unexpected {type(error).__name__}: {_one_line(error)} ({DEBUG_VARIABLE}=1 shows where)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
