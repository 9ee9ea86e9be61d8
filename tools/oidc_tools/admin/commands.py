"""What each oidc-admin command does, given the stack it targets and its parsed arguments; each returns what is
printed, as JSON. The parser (parser.py) names them; cli.py finds the stack and prints."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from oidc_core.store.clients import PUBLIC_AUTH_METHOD, NoSuchClient
from oidc_core.store.users import PROFILE_FIELDS
from oidc_core.passwords.policy import check_password_policy
from oidc_tools.admin.terminal import AdminError, confirm, read_secret
from oidc_tools.stack import client_admin, operations, user_admin
from oidc_tools.stack.operations import Target


def claim_dest(field: str) -> str:
    """Where a profile claim's option lands: apart from the stack options (the `profile` claim and the AWS --profile
    share a name, and a command's defaults would otherwise overwrite the option given before the command)."""
    return f"claim_{field}"


def user_by_identifier(target: Target, args) -> operations.users.User:
    kind, value = args.identifier
    user = operations.find_user(target, kind, value)
    if user is None:
        raise AdminError(f"no user with {kind} {value!r}")
    return user


def split(value: str | None) -> list[str] | None:
    return None if value is None else value.split()


def client_summary(client) -> dict:
    """The client as the server treats it (never its secret's hash): a public client always needs PKCE, whatever
    its stored require_pkce says."""
    return {"client_id": client.client_id, "name": client.name,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "allowed_scopes": sorted(client.allowed_scopes), "grant_types": sorted(client.grant_types),
            "post_logout_redirect_uris": sorted(client.post_logout_redirect_uris),
            "redirect_uris": sorted(client.redirect_uris), "third_party": client.third_party,
            "require_pkce": client.pkce_required, "sign_up": not client.no_sign_up}


def client_list(target: Target, args) -> dict:
    found, next_id = client_admin.list_clients(target, args.limit, args.after)
    return {"clients": [client_summary(client) for client in found], "next": next_id}


def client_show(target: Target, args) -> dict:
    from oidc_core.store import clients

    client = clients.find(target.clients_table, args.client_id)
    if client is None:
        raise NoSuchClient(f"no client {args.client_id!r}")
    return client_summary(client)


def client_delete(target: Target, args) -> dict:
    client_show(target, args)  # an unknown client is said before any question
    confirm(f"client {args.client_id!r}", args)
    return client_admin.delete_client(target, args.client_id)


def client_create(target: Target, args) -> dict:
    if args.auth_method == PUBLIC_AUTH_METHOD and args.secret_stdin:
        raise AdminError("a public client (--auth-method none) has no secret: drop --secret-stdin")
    secret = read_secret("Client secret", True) if args.secret_stdin else None
    client, secret = operations.create_client(
        target, args.client_id, secret, scopes=args.scopes.split(), grant_types=split(args.grant_types),
        name=args.name, auth_method=args.auth_method, post_logout_redirect_uris=args.post_logout_redirect_uris or (),
        redirect_uris=args.redirect_uris or (), third_party=args.third_party, require_pkce=args.require_pkce,
        no_sign_up=args.sign_up is False,
    )
    # The secret is shown this once: only its hash is stored. A public client has none (null).
    return {"client_id": client.client_id, "client_secret": secret, **client_summary(client)}


def client_update(target: Target, args) -> dict:
    client = operations.update_client(
        target, args.client_id, name=args.name, allowed_scopes=split(args.scopes),
        grant_types=split(args.grant_types), token_endpoint_auth_method=args.auth_method,
        post_logout_redirect_uris=args.post_logout_redirect_uris, redirect_uris=args.redirect_uris,
        third_party=args.third_party, require_pkce=args.require_pkce,
        no_sign_up=None if args.sign_up is None else not args.sign_up,
    )
    return client_summary(client)


def user_create(target: Target, args) -> dict:
    if args.email:
        user_admin.check_email(args.email)  # before the password is asked for
    password = read_secret("Password", args.password_stdin, lambda password: check_password_policy(
        password, [args.username, args.email, args.phone], args.min_password_length))
    profile = {field: getattr(args, claim_dest(field)) for field in PROFILE_FIELDS if getattr(args, claim_dest(field))}
    user = operations.create_user(
        target, password, username=args.username, email=args.email, phone=args.phone, blocked=args.blocked,
        email_verified=args.email_verified, phone_number_verified=args.phone_verified, profile=profile,
    )
    return {"sub": user.sub, "username": user.username, "email": user.email, "phone_number": user.phone_number,
            "blocked": user.blocked}


def user_set_password(target: Target, args) -> dict:
    user = user_by_identifier(target, args)
    password = read_secret("Password", args.password_stdin, lambda password: check_password_policy(
        password, [user.username, user.email, user.phone_number], args.min_password_length))
    operations.set_password(target, user.sub, password)
    return {"sub": user.sub, "password": "changed"}


def user_block(target: Target, args, blocked: bool) -> dict:
    user = user_by_identifier(target, args)
    operations.users.set_blocked(target.users_table, user.sub, blocked)  # blocking also ends the sessions
    return {"sub": user.sub, "blocked": blocked}


def user_sign_out(target: Target, args) -> dict:
    user = user_by_identifier(target, args)
    if not operations.sign_out(target, user.sub):
        raise AdminError(f"user {user.sub!r} disappeared before the sign-out")
    return {"sub": user.sub, "sessions": "ended"}


def user_list(target: Target, args) -> dict:
    return user_admin.list_users(target, args.limit, args.after)


def user_show(target: Target, args) -> dict:
    return user_admin.view(user_by_identifier(target, args))


def user_update(target: Target, args) -> dict:
    user = user_by_identifier(target, args)
    identifiers = {kind: getattr(args, f"new_{kind}") for kind in user_admin.IDENTIFIER_FIELDS
                   if getattr(args, f"new_{kind}") is not None}
    flags = {field: getattr(args, field) for field in ("email_verified", "phone_number_verified")
             if getattr(args, field) is not None}
    profile = {field: getattr(args, claim_dest(field)) or None for field in PROFILE_FIELDS
               if getattr(args, claim_dest(field)) is not None}
    if not (identifiers or flags or profile):
        raise AdminError("nothing to change: name at least one field (oidc-admin user update --help)")
    return user_admin.view(user_admin.update_user(target, user, identifiers=identifiers, flags=flags,
                                                  profile=profile))


def user_delete(target: Target, args) -> dict:
    user = user_by_identifier(target, args)
    confirm(f"user {user.sub!r} ({user.username or user.email or user.phone_number})", args)
    return user_admin.delete_user(target, user)


def user_migrate_identifiers(target: Target, args) -> dict:
    return operations.migrate_identifiers(target)


def utc(unix_time: int) -> str:
    return datetime.fromtimestamp(unix_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def users_import(target: Target, args) -> dict:
    from oidc_tools.admin import import_formats, user_import

    if args.format != "firebase" and any(value is not None for value in
                                         (args.hash_key, args.salt_separator, args.rounds, args.mem_cost)):
        raise AdminError("--hash-key, --salt-separator, --rounds and --mem-cost are for --format firebase")
    options = {"firebase": import_formats.firebase_parameters(args.hash_key, args.salt_separator, args.rounds,
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


def upstream_set(target: Target, args) -> dict:
    from oidc_core.login.upstream import UnusableUpstream

    secret = read_secret("Client secret", args.secret_stdin)
    try:
        return operations.set_upstream(target, args.issuer, args.client_id, secret, args.token_endpoint or "",
                                       args.jwks_uri or "")
    except UnusableUpstream as error:
        raise AdminError(str(error)) from None


def keys_rotate(target: Target, args) -> dict:
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
                result[name].update(published_at=utc(started),
                                    signs_from=utc(started + target.signing_activation_seconds))
            else:
                result[name].update(published_at=utc(started + target.signing_activation_seconds))
        elif kind == "signing":
            kid = operations.rotate_signing_key(target, args.bits or 2048)
            published, signs = operations.signing_key_schedule(target, kid)
            result[name] = {"kid": kid, "alg": "RS256", "published_at": utc(published), "signs_from": utc(signs)}
        else:
            published = operations.replace_password_keys(target, args.rsa_bits or 2048, args.rsa_padding)
            result[name] = {"rsa_padding": published["rsa"]["padding"],
                            "sm2_public_key": published["sm2"]["public_key_hex"],
                            "published_at": utc(published["publish_at"])}
    if len(held_in_kms) == len(result):
        what = " and ".join({"signing": "the signing key", "password": "the password keys"}[kind]
                            for kind in held_in_kms)
        raise AdminError(f"nothing to rotate: {what} {'is' if held_in_kms == ['signing'] else 'are'} held in KMS, "
                         f"where {operations.KMS_KEY_ROTATION.split(' (')[0]}")
    return result


def keys_show(target: Target, args) -> dict:
    return operations.key_sources(target)
