"""oidc-admin: manage clients, users and keys of a serverless-oidc stack (a deployed one, or `make dev` with --local).

Passwords and client secrets are read from a prompt or from standard input (--password-stdin, --secret-stdin),
never from the command line, where they would land in shell history and process listings.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from oidc_core.store.clients import AUTH_METHODS, PUBLIC_AUTH_METHOD, ClientExists, NoSuchClient
from oidc_core.passwords.policy import check_password_policy
from oidc_core.config import JWKS_MAX_AGE_SECONDS, OWASP_MINIMUM_ARGON2, Argon2Parameters
from oidc_core.errors import OAuthError
from oidc_core.tokens.scopes import KNOWN_SCOPES
from oidc_core.store.users import PROFILE_FIELDS, IdentifierTaken
from oidc_tools import operations, outbox
from oidc_tools.operations import (DEFAULT_GRANT_TYPES, KMS_KEYS, OPTIONAL_RESOURCES, PUBLIC_CLIENT_GRANT_TYPES,
                                   RESOURCES, Target)
from oidc_tools.template import ROOT


class AdminError(Exception):
    """A failure to report in one line, without a stack trace."""


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
    from oidc_tools.local_stack import STATE_DIR

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
    from oidc_tools.local_stack import point_boto3_at, state_file

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


def read_secret(label: str, from_stdin: bool, check=None) -> str:
    """A secret from stdin or, at a terminal, typed twice; `check` (raising ValueError) refuses it after the first
    time, before it is asked again."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        value = getpass.getpass(f"{label}: ")
    else:
        raise AdminError(f"no terminal to ask for the {label.lower()}: pipe it in with --{label.split()[-1].lower()}-stdin")
    if not value:
        raise AdminError(f"an empty {label.lower()} is not allowed")
    if check is not None:
        check(value)
    if not from_stdin and getpass.getpass(f"{label} again: ") != value:
        raise AdminError(f"the two {label.lower()}s differ")
    return value


def _user_by_identifier(target: Target, args) -> operations.users.User:
    kind, value = args.identifier
    user = operations.find_user(target, kind, value)
    if user is None:
        raise AdminError(f"no user with {kind} {value!r}")
    return user


def _split(value: str | None) -> list[str] | None:
    return None if value is None else value.split()


def _client_summary(client) -> dict:
    return {"client_id": client.client_id, "name": client.name,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "allowed_scopes": sorted(client.allowed_scopes), "grant_types": sorted(client.grant_types),
            "post_logout_redirect_uris": sorted(client.post_logout_redirect_uris),
            "redirect_uris": sorted(client.redirect_uris), "third_party": client.third_party,
            "require_pkce": client.require_pkce, "sign_up": not client.no_sign_up}


def _client_create(target: Target, args) -> dict:
    if args.auth_method == PUBLIC_AUTH_METHOD and args.secret_stdin:
        raise AdminError("a public client (--auth-method none) has no secret: drop --secret-stdin")
    secret = read_secret("Client secret", True) if args.secret_stdin else None
    client, secret = operations.create_client(
        target, args.client_id, secret, scopes=args.scopes.split(), grant_types=_split(args.grant_types),
        name=args.name, auth_method=args.auth_method, post_logout_redirect_uris=args.post_logout_redirect_uris or (),
        redirect_uris=args.redirect_uris or (), third_party=args.third_party, require_pkce=args.require_pkce,
        no_sign_up=args.sign_up is False,
    )
    # The secret is shown this once: only its hash is stored. A public client has none (null).
    return {"client_id": client.client_id, "client_secret": secret, **_client_summary(client)}


def _client_update(target: Target, args) -> dict:
    client = operations.update_client(
        target, args.client_id, name=args.name, allowed_scopes=_split(args.scopes),
        grant_types=_split(args.grant_types), token_endpoint_auth_method=args.auth_method,
        post_logout_redirect_uris=args.post_logout_redirect_uris, redirect_uris=args.redirect_uris,
        third_party=args.third_party, require_pkce=args.require_pkce,
        no_sign_up=None if args.sign_up is None else not args.sign_up,
    )
    return _client_summary(client)


def _user_create(target: Target, args) -> dict:
    password = read_secret("Password", args.password_stdin, lambda password: check_password_policy(
        password, [args.username, args.email, args.phone], args.min_password_length))
    profile = {field: getattr(args, field) for field in PROFILE_FIELDS if getattr(args, field, None)}
    user = operations.create_user(
        target, password, username=args.username, email=args.email, phone=args.phone, blocked=args.blocked,
        email_verified=args.email_verified, phone_number_verified=args.phone_verified, profile=profile,
    )
    return {"sub": user.sub, "username": user.username, "email": user.email, "phone_number": user.phone_number,
            "blocked": user.blocked}


def _user_set_password(target: Target, args) -> dict:
    user = _user_by_identifier(target, args)
    password = read_secret("Password", args.password_stdin, lambda password: check_password_policy(
        password, [user.username, user.email, user.phone_number], args.min_password_length))
    operations.set_password(target, user.sub, password)
    return {"sub": user.sub, "password": "changed"}


def _user_block(target: Target, args, blocked: bool) -> dict:
    user = _user_by_identifier(target, args)
    operations.users.set_blocked(target.users_table, user.sub, blocked)  # blocking also ends the sessions
    return {"sub": user.sub, "blocked": blocked}


def _user_sign_out(target: Target, args) -> dict:
    user = _user_by_identifier(target, args)
    if not operations.sign_out(target, user.sub):
        raise AdminError(f"user {user.sub!r} disappeared before the sign-out")
    return {"sub": user.sub, "sessions": "ended"}


def _user_migrate_identifiers(target: Target, args) -> dict:
    return operations.migrate_identifiers(target)


def _utc(unix_time: int) -> str:
    return datetime.fromtimestamp(unix_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _users_import(target: Target, args) -> dict:
    from oidc_tools import user_import

    if args.format != "firebase" and any(value is not None for value in
                                         (args.hash_key, args.salt_separator, args.rounds, args.mem_cost)):
        raise AdminError("--hash-key, --salt-separator, --rounds and --mem-cost are for --format firebase")
    options = {"firebase": user_import.firebase_parameters(args.hash_key, args.salt_separator, args.rounds,
                                                           args.mem_cost)}
    path = Path(args.file)
    if not path.is_file():
        raise AdminError(f"no file {args.file}")
    try:
        report = user_import.import_users(target, path, args.format, dry_run=args.dry_run,
                                          on_conflict=args.on_conflict, options=options)
    except user_import.Refused as error:  # the file as a whole is not of the format
        raise AdminError(str(error)) from None
    return report.as_dict()


def _upstream_set(target: Target, args) -> dict:
    from oidc_core.login.upstream import UnusableUpstream

    secret = read_secret("Client secret", args.secret_stdin)
    try:
        return operations.set_upstream(target, args.issuer, args.client_id, secret)
    except UnusableUpstream as error:
        raise AdminError(str(error)) from None


def _keys_rotate(target: Target, args) -> dict:
    """On a stack whose secrets have a rotation schedule (a deployed one), Secrets Manager runs RotateKeysFunction
    now; elsewhere (the local stack, a stack from before the rotation function) the same four steps run here. The
    answer says when the new keys are published and when the signing key starts signing (UTC). Keys held in KMS
    are not rotated (asymmetric KMS keys cannot be): with nothing else to rotate, that is an error."""
    result, held_in_kms = {}, []
    in_kms = {"signing": target.signing_kms_key_id,
              "password": target.rsa_password_kms_key_id and target.sm2_password_kms_key_id}
    for kind, secret_id in (("signing", target.signing_key_secret_id), ("password", target.password_keys_secret_id)):
        if args.only not in (None, kind):
            continue
        name = "signing_key" if kind == "signing" else "password_keys"
        if in_kms[kind]:
            held_in_kms.append(kind)
            result[name] = {"held_in": "kms", "rotation": operations.KMS_KEY_ROTATION}
        elif operations._rotation_is_scheduled(secret_id):
            if any(option is not None for option in (args.bits, args.rsa_bits, args.rsa_padding)):
                raise AdminError("on a deployed stack RotateKeysFunction makes the keys: 2048 bits, and the RSA "
                                 "padding of the RsaPasswordPadding parameter (make deploy "
                                 "PARAMS=RsaPasswordPadding=oaep-sha256, then keys rotate); drop --bits, "
                                 "--rsa-bits and --rsa-padding")
            started = int(time.time())
            result[name] = operations.start_rotation(target, kind)
            # RotateKeysFunction publishes the new keys within seconds of the start
            if kind == "signing":
                result[name].update(published_at=_utc(started),
                                    signs_from=_utc(started + target.signing_activation_seconds))
            else:
                result[name].update(published_at=_utc(started + target.signing_activation_seconds))
        elif kind == "signing":
            kid = operations.rotate_signing_key(target, args.bits or 2048)
            published, signs = operations.signing_key_schedule(target, kid)
            result[name] = {"kid": kid, "alg": "RS256", "published_at": _utc(published), "signs_from": _utc(signs)}
        else:
            published = operations.replace_password_keys(target, args.rsa_bits or 2048, args.rsa_padding)
            result[name] = {"rsa_padding": published["rsa"]["padding"],
                            "sm2_public_key": published["sm2"]["public_key_hex"],
                            "published_at": _utc(published["publish_at"])}
    if len(held_in_kms) == len(result):
        what = " and ".join({"signing": "the signing key", "password": "the password keys"}[kind]
                            for kind in held_in_kms)
        raise AdminError(f"nothing to rotate: {what} {'is' if held_in_kms == ['signing'] else 'are'} held in KMS, "
                         f"where {operations.KMS_KEY_ROTATION.split(' (')[0]}")
    return result


def _keys_show(target: Target, args) -> dict:
    return operations.key_sources(target)


def _identifier_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    for kind in ("username", "email", "phone", "sub"):
        group.add_argument(f"--{kind}", dest="identifier", type=lambda value, kind=kind: (kind, value),
                           help=f"find the user by {kind}")


def _client_auth_method_argument(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument("--auth-method", choices=AUTH_METHODS, default=default,
                        help="how the client authenticates at the token endpoint; none: a public client "
                             "(browser or mobile app) with no secret, which cannot use client_credentials"
                             + (f" (default: {default})" if default else ""))


def _post_logout_redirect_uri_argument(parser: argparse.ArgumentParser, how: str) -> None:
    parser.add_argument("--post-logout-redirect-uri", dest="post_logout_redirect_uris", action="append",
                        metavar="URI", help=f"where /oidc/session/end may send the browser back to "
                                            f"(https, or http on localhost); {how}")


class _OneLineParser(argparse.ArgumentParser):
    """A usage mistake in one line, as every other error (argparse's own is the usage, then the message)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} ({self.prog} --help says more)\n")

def _browser_sign_in_arguments(parser: argparse.ArgumentParser, how: str, *, toggles_default) -> None:
    parser.add_argument("--redirect-uri", dest="redirect_uris", action="append", metavar="URI",
                        help="where /oidc/auth may send the browser back with a code (authorization_code grant): "
                             f"https, or http on 127.0.0.1 or [::1] (any port); compared exactly; {how}")
    parser.add_argument("--third-party", action=argparse.BooleanOptionalAction, default=toggles_default,
                        help="a third party's app: users are asked to consent to its scopes (first-party apps are not)")
    parser.add_argument("--require-pkce", action=argparse.BooleanOptionalAction, default=toggles_default,
                        help="require PKCE (S256) of this confidential client too (public clients always need it)")
    parser.add_argument("--sign-up", action=argparse.BooleanOptionalAction, default=None,
                        help="whether people may sign up through this app (/api/v3/signup and register codes, when "
                             "the stack's SelfSignUp is true); default: they may")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="oidc-admin", description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="target the `make dev` stack on --port")
    where.add_argument("--stack-name", default=None, help="deployed stack (default: stack_name in samconfig.toml)")
    parser.add_argument("--port", type=int, default=3000, help="port of the local stack (with --local)")
    deployed = parser.add_argument_group(
        "a deployed stack", "as `sam deploy` does: these options, else samconfig.toml (the deploy section, then "
                            "the global one), else your AWS configuration (AWS_REGION, AWS_PROFILE…)")
    deployed.add_argument("--region", help="AWS region of the stack (default: region in samconfig.toml)")
    deployed.add_argument("--profile", help="AWS profile to use (default: profile in samconfig.toml)")
    deployed.add_argument("--config-file", metavar="FILE",
                          help="samconfig.toml to read (default: ./samconfig.toml, else the repository's)")
    deployed.add_argument("--config-env", default="default", metavar="ENV",
                          help="samconfig.toml environment, as sam deploy --config-env (default: default)")
    parser.add_argument("--min-password-length", type=int, metavar="N",
                        default=int(os.environ.get("OIDC_ADMIN_MIN_PASSWORD_LENGTH") or 8),
                        help="refuse shorter passwords (default 8, or OIDC_ADMIN_MIN_PASSWORD_LENGTH)")
    commands = parser.add_subparsers(dest="command", required=True)

    client = commands.add_parser("client").add_subparsers(dest="action", required=True)
    create = client.add_parser(
        "create", help="register a client; prints its secret once (none for a public client)")
    create.add_argument("client_id")
    create.add_argument("--name", default="")
    create.add_argument("--scopes", default=" ".join(KNOWN_SCOPES),
                        help="space-separated scopes the client may ask for: OIDC scopes, or API scopes written "
                             "resource:action (e.g. orders:read)")
    create.add_argument("--grant-types", default=None,
                        help="space-separated grant types (default: depends on the auth method: "
                             f"'{' '.join(DEFAULT_GRANT_TYPES)}' for a confidential client, "
                             f"'{' '.join(PUBLIC_CLIENT_GRANT_TYPES)}' for a public one)")
    _client_auth_method_argument(create, default="client_secret_basic")
    _post_logout_redirect_uri_argument(create, "may be given more than once")
    _browser_sign_in_arguments(create, "may be given more than once", toggles_default=False)
    create.add_argument("--secret-stdin", action="store_true",
                        help="read the secret from stdin instead of generating one (not with --auth-method none)")
    create.set_defaults(run=_client_create)
    update = client.add_parser(
        "update", help="change a client's settings; only the options given change (prints the client, no secret)")
    update.add_argument("client_id")
    update.add_argument("--name")
    update.add_argument("--scopes", help="space-separated scopes the client may ask for (replaces the list)")
    update.add_argument("--grant-types", help="space-separated grant types (replaces the list)")
    _client_auth_method_argument(update, default=None)
    _post_logout_redirect_uri_argument(update, "may be given more than once; replaces the list")
    _browser_sign_in_arguments(update, "may be given more than once; replaces the list", toggles_default=None)
    update.set_defaults(run=_client_update)

    user = commands.add_parser("user", aliases=["users"]).add_subparsers(dest="action", required=True)
    create = user.add_parser("create", help="create a user with a username, email and/or phone to log in with")
    create.add_argument("--username")
    create.add_argument("--email")
    create.add_argument("--phone")
    for field in PROFILE_FIELDS:
        create.add_argument(f"--{field.replace('_', '-')}", dest=field)
    create.add_argument("--email-verified", action="store_true")
    create.add_argument("--phone-verified", action="store_true")
    create.add_argument("--blocked", action="store_true", help="create the user blocked")
    create.add_argument("--password-stdin", action="store_true")
    create.set_defaults(run=_user_create)
    set_password = user.add_parser(
        "set-password", help="change a user's password; also ends the user's sessions (refresh tokens stop working)")
    _identifier_arguments(set_password)
    set_password.add_argument("--password-stdin", action="store_true")
    set_password.set_defaults(run=_user_set_password)
    for action, blocked, help_text in (
        ("block", True, "block logins of a user (takes effect on the next request); also ends the user's sessions "
                        "(refresh tokens stop working, and do not come back on unblock)"),
        ("unblock", False, "unblock logins of a user (takes effect on the next request); ended sessions stay ended"),
    ):
        command = user.add_parser(action, help=help_text)
        _identifier_arguments(command)
        command.set_defaults(run=lambda target, args, blocked=blocked: _user_block(target, args, blocked))
    sign_out = user.add_parser(
        "sign-out", help="end every session of a user: refresh tokens stop working at their next use "
                         "(access tokens already issued stay valid until they expire)")
    _identifier_arguments(sign_out)
    sign_out.set_defaults(run=_user_sign_out)
    migrate = user.add_parser(
        "migrate-identifiers", help="move users' login identifiers to today's normal form (NFKC case folding, ASCII "
                                    "phone digits) so users created under older rules keep logging in; idempotent")
    migrate.set_defaults(run=_user_migrate_identifiers)
    bring = user.add_parser(
        "import", help="bring users from another system with their password hashes, each keeping its id as sub; "
                       "a re-run of the same file changes nothing; exits 2 when any row was refused")
    bring.add_argument("file")
    bring.add_argument("--format", required=True, choices=("native", "auth0", "keycloak", "firebase", "authing"),
                       help="native: JSON Lines of our user fields; auth0: bulk-import JSON; keycloak: realm export; "
                            "firebase: `firebase auth:export` JSON; authing: user objects (no passwords: they log "
                            "in through the upstream, `oidc-admin upstream set`)")
    bring.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    bring.add_argument("--on-conflict", choices=("skip", "update"), default="skip",
                       help="a user whose sub is in the table already: leave it (default), or update its fields "
                            "(a password it has set or upgraded since is kept)")
    firebase = bring.add_argument_group("firebase", "the project's password hash parameters (Firebase console)")
    firebase.add_argument("--hash-key", help="base64_signer_key")
    firebase.add_argument("--salt-separator", help="base64_salt_separator")
    firebase.add_argument("--rounds", type=int)
    firebase.add_argument("--mem-cost", type=int)
    bring.set_defaults(run=_users_import)

    upstream = commands.add_parser(
        "upstream", help="lazy migration: where users log in the first time (docs/moving-users.md)"
    ).add_subparsers(dest="action", required=True)
    set_upstream = upstream.add_parser(
        "set", help="a password login that names nobody here is checked there once and the user created here; "
                    "takes effect within KeyCacheSeconds, no deploy")
    set_upstream.add_argument("--issuer", required=True, help="the upstream's issuer (https; http on loopback only)")
    set_upstream.add_argument("--client-id", required=True, help="this service's client id there (password grant)")
    set_upstream.add_argument("--secret-stdin", action="store_true", help="read the client secret from stdin")
    set_upstream.set_defaults(run=_upstream_set)
    upstream.add_parser("show", help="the upstream in force (never its secret)").set_defaults(
        run=lambda target, args: operations.show_upstream(target))
    upstream.add_parser("off", help="turn lazy migration off").set_defaults(
        run=lambda target, args: operations.upstream_off(target))
    migration = commands.add_parser("migration").add_subparsers(dest="action", required=True)
    migration.add_parser(
        "status", help="users in all, still on an imported hash (by algorithm), waiting for their first login "
                       "through the upstream, migrated by it").set_defaults(
        run=lambda target, args: operations.migration_status(target))

    keys = commands.add_parser("keys").add_subparsers(dest="action", required=True)
    rotate = keys.add_parser(
        "rotate", help="new signing key (the old one stays in the JWKS) and new RSA/SM2 password-encryption keys")
    rotate.add_argument("--only", choices=("signing", "password"), help="rotate just one kind of key")
    rotate.add_argument("--bits", type=int, choices=(2048, 3072, 4096),
                        help="signing key size (default 2048; local stack only)")
    rotate.add_argument("--rsa-bits", type=int, choices=(2048, 3072, 4096),
                        help="password-encryption RSA key size (default 2048; local stack only)")
    rotate.add_argument("--rsa-padding", choices=("pkcs1v15", "oaep-sha256"),
                        help="pkcs1v15 is what JSEncrypt sends; oaep-sha256 for clients that encrypt with OAEP "
                             "(default: the current key's; local stack only: a deployed stack's is its "
                             "RsaPasswordPadding parameter)")
    rotate.set_defaults(run=_keys_rotate)
    show = keys.add_parser("show", help="where each key is held (Secrets Manager or KMS) and what of it is published")
    show.set_defaults(run=_keys_show)
    commands.add_parser("outbox", help="what the local stack's emulated SES and SNS sent, newest first (--local only)"
                        ).set_defaults(run=lambda target, args: outbox.fetch(args.port), local_only=True)
    return parser


# OIDC_ADMIN_DEBUG=1: an unexpected error shows its stack trace instead of one line
DEBUG_VARIABLE = "OIDC_ADMIN_DEBUG"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def run(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
