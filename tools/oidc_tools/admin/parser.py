"""oidc-admin's command line: every command, its options and its one-line help."""

from __future__ import annotations

import argparse
import os

from oidc_core.store.clients import AUTH_METHODS
from oidc_core.store.users import PROFILE_FIELDS
from oidc_core.tokens.scopes import KNOWN_SCOPES
from oidc_tools.admin import commands
from oidc_tools.local import outbox
from oidc_tools.stack import operations, user_admin
from oidc_tools.stack.operations import DEFAULT_GRANT_TYPES, PUBLIC_CLIENT_GRANT_TYPES

DESCRIPTION = ("oidc-admin: manage clients, users and keys of a serverless-oidc stack (a deployed one, or `make dev` "
               "with --local).")


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


def _page_arguments(parser: argparse.ArgumentParser, key: str) -> None:
    parser.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    parser.add_argument("--after", metavar=key.upper().replace(" ", "_"),
                        help=f"start after this {key}: the `next` of the page before (none on the last page)")


def _yes_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")


def _target_options_after_the_command(command: argparse.ArgumentParser) -> None:
    """--local and --port where an operator also types them: after the command (`oidc-admin user list --local`).
    Absent there, they leave what was given before the command as it is (SUPPRESS sets nothing)."""
    where = command.add_argument_group("the local stack (also accepted before the command)")
    where.add_argument("--local", action="store_true", default=argparse.SUPPRESS,
                       help="target the `make dev` stack on --port")
    where.add_argument("--port", type=int, default=argparse.SUPPRESS, help="port of the local stack (default 3000)")


def _describe_commands(parser: argparse.ArgumentParser) -> None:
    """Each command's one-line help (what `oidc-admin --help` lists) is also the description its own --help shows."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for listed in action._choices_actions:
                command = action.choices[listed.dest]
                command.description = command.description or listed.help
                if not any(isinstance(inner, argparse._SubParsersAction) for inner in command._actions):
                    _target_options_after_the_command(command)
                _describe_commands(command)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="oidc-admin", description=DESCRIPTION)
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
    groups = parser.add_subparsers(dest="command", required=True)

    client = groups.add_parser(
        "client", aliases=["clients"], help="register, list, show, change and delete the apps that ask for tokens"
    ).add_subparsers(dest="action", required=True)
    listing = client.add_parser("list", help="the registered clients, a page at a time (never a secret)")
    _page_arguments(listing, "client id")
    listing.set_defaults(run=commands.client_list)
    show = client.add_parser("show", help="one client's settings (never its secret)")
    show.add_argument("client_id")
    show.set_defaults(run=commands.client_show)
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
    create.set_defaults(run=commands.client_create)
    update = client.add_parser(
        "update", help="change a client's settings; only the options given change (prints the client, no secret)")
    update.add_argument("client_id")
    update.add_argument("--name")
    update.add_argument("--scopes", help="space-separated scopes the client may ask for (replaces the list)")
    update.add_argument("--grant-types", help="space-separated grant types (replaces the list)")
    _client_auth_method_argument(update, default=None)
    _post_logout_redirect_uri_argument(update, "may be given more than once; replaces the list")
    _browser_sign_in_arguments(update, "may be given more than once; replaces the list", toggles_default=None)
    update.set_defaults(run=commands.client_update)
    delete = client.add_parser(
        "delete", help="delete a client; its refresh tokens stop working and its consents are forgotten")
    delete.add_argument("client_id")
    _yes_argument(delete)
    delete.set_defaults(run=commands.client_delete)

    user = groups.add_parser(
        "user", aliases=["users"], help="create, list, show, change, block, sign out, delete and import users"
    ).add_subparsers(dest="action", required=True)
    listing = user.add_parser("list", help="the users, a page at a time (never a password hash)")
    _page_arguments(listing, "sub")
    listing.set_defaults(run=commands.user_list)
    show = user.add_parser("show", help="one user's identifiers, flags and profile (never the password hash)")
    _identifier_arguments(show)
    show.set_defaults(run=commands.user_show)
    create = user.add_parser("create", help="create a user with a username, email and/or phone to log in with")
    create.add_argument("--username")
    create.add_argument("--email")
    create.add_argument("--phone")
    for field in PROFILE_FIELDS:
        create.add_argument(f"--{field.replace('_', '-')}", dest=commands.claim_dest(field))
    create.add_argument("--email-verified", action="store_true")
    create.add_argument("--phone-verified", action="store_true")
    create.add_argument("--blocked", action="store_true", help="create the user blocked")
    create.add_argument("--password-stdin", action="store_true")
    create.set_defaults(run=commands.user_create)
    update = user.add_parser(
        "update", help="change a user's login identifiers, verified flags or profile; only the options given change")
    _identifier_arguments(update)
    for kind in user_admin.IDENTIFIER_FIELDS:
        update.add_argument(f"--new-{kind}", dest=f"new_{kind}", metavar=kind.upper(),
                            help=f"log in with this {kind} from now on ('' removes it; one identifier must remain)")
    update.add_argument("--email-verified", action=argparse.BooleanOptionalAction, default=None,
                        help="mark the email verified or not (a new email is unverified unless this says so)")
    update.add_argument("--phone-verified", dest="phone_number_verified", action=argparse.BooleanOptionalAction,
                        default=None, help="mark the phone verified or not (a new phone is unverified unless this "
                                           "says so)")
    for field in PROFILE_FIELDS:
        update.add_argument(f"--{field.replace('_', '-')}", dest=commands.claim_dest(field), help="('' removes it)")
    update.set_defaults(run=commands.user_update)
    delete = user.add_parser(
        "delete", help="delete a user: its identifiers are free at once, its refresh tokens and browser sessions "
                       "end, its consents are forgotten")
    _identifier_arguments(delete)
    _yes_argument(delete)
    delete.set_defaults(run=commands.user_delete)
    set_password = user.add_parser(
        "set-password", help="change a user's password; also ends the user's sessions (refresh tokens stop working)")
    _identifier_arguments(set_password)
    set_password.add_argument("--password-stdin", action="store_true")
    set_password.set_defaults(run=commands.user_set_password)
    for action, blocked, help_text in (
        ("block", True, "block logins of a user (takes effect on the next request); also ends the user's sessions "
                        "(refresh tokens stop working, and do not come back on unblock)"),
        ("unblock", False, "unblock logins of a user (takes effect on the next request); ended sessions stay ended"),
    ):
        command = user.add_parser(action, help=help_text)
        _identifier_arguments(command)
        command.set_defaults(run=lambda target, args, blocked=blocked: commands.user_block(target, args, blocked))
    sign_out = user.add_parser(
        "sign-out", help="end every session of a user: refresh tokens stop working at their next use "
                         "(access tokens already issued stay valid until they expire)")
    _identifier_arguments(sign_out)
    sign_out.set_defaults(run=commands.user_sign_out)
    migrate = user.add_parser(
        "migrate-identifiers", help="move users' login identifiers to today's normal form (NFKC case folding, ASCII "
                                    "phone digits) so users created under older rules keep logging in; idempotent")
    migrate.set_defaults(run=commands.user_migrate_identifiers)
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
    bring.set_defaults(run=commands.users_import)

    upstream = groups.add_parser(
        "upstream", help="lazy migration: where users log in the first time (docs/moving-users.md)"
    ).add_subparsers(dest="action", required=True)
    set_upstream = upstream.add_parser(
        "set", help="a password login that names nobody here is checked there once and the user created here; "
                    "takes effect within KeyCacheSeconds, no deploy")
    set_upstream.add_argument("--issuer", required=True, help="the upstream's issuer (https; http on loopback only)")
    set_upstream.add_argument("--client-id", required=True, help="this service's client id there (password grant)")
    set_upstream.add_argument("--secret-stdin", action="store_true", help="read the client secret from stdin")
    set_upstream.add_argument("--token-endpoint", help="pin the token endpoint (otherwise the discovery document's, "
                              "which must be on the issuer's origin)")
    set_upstream.add_argument("--jwks-uri", help="pin the JWKS URI likewise")
    set_upstream.set_defaults(run=commands.upstream_set)
    upstream.add_parser("show", help="the upstream in force (never its secret)").set_defaults(
        run=lambda target, args: operations.show_upstream(target))
    upstream.add_parser("off", help="turn lazy migration off").set_defaults(
        run=lambda target, args: operations.upstream_off(target))
    migration = groups.add_parser(
        "migration", help="how far moving users here has come (docs/moving-users.md)"
    ).add_subparsers(dest="action", required=True)
    migration.add_parser(
        "status", help="users in all, still on an imported hash (by algorithm), waiting for their first login "
                       "through the upstream, migrated by it").set_defaults(
        run=lambda target, args: operations.migration_status(target))

    keys = groups.add_parser(
        "keys", help="rotate the signing and password-encryption keys, or show where they are held"
    ).add_subparsers(dest="action", required=True)
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
    rotate.set_defaults(run=commands.keys_rotate)
    show = keys.add_parser("show", help="where each key is held (Secrets Manager or KMS) and what of it is published")
    show.set_defaults(run=commands.keys_show)

    groups.add_parser("outbox", help="what the local stack's emulated SES and SNS sent, newest first (--local only)"
                      ).set_defaults(run=lambda target, args: outbox.fetch(args.port), local_only=True)
    _describe_commands(parser)
    return parser
