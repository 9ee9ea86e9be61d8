"""POST /api/v3/signup: people create their own accounts through an app, as Authing's SDKs do it
(signUpByEmailPassword, signUpByUsernamePassword, signUpByEmailCode, signUpByPhoneCode):
    {"connection": "PASSWORD", "passwordPayload": {"username" | "email": "…", "password": "…"},
     "profile": {"name", "nickname", "givenName", "familyName", "locale"}, "options": {"passwordEncryptType": …}}
    {"connection": "PASSCODE", "passCodePayload": {"email" | "phone": "…", "phoneCountryCode"?, "passCode": "…"}}

The user is created as oidc-admin creates one (store.users.create: the user and its identifiers in one conditional
transaction), with the password policy and Argon2id. A PASSCODE sign-up proves the address, so it is verified (and
gets a random password nobody knows: the user signs in with codes, or resets a password); a PASSWORD sign-up by email
is `email_verified: false`.

What a sign-up tells about addresses already taken: a PASSCODE sign-up checks its code first, and a CHANNEL_REGISTER
code is never sent to a taken address, so a taken address answers as a wrong code does. A PASSWORD sign-up by email
with a taken address answers as a success (a user id that belongs to nobody, the same work done): the caller cannot
sign in with it, and learns nothing it could not learn from the login, which answers every failure alike. A taken
username is said to be taken: usernames are chosen, not proven, and are no one's address.
"""

from __future__ import annotations

import secrets
import time
import uuid

from oidc_core import aws
from oidc_core.codes import passcodes
from oidc_core.codes.channels import CHANNEL_REGISTER
from oidc_core.endpoints.authing.code_key import digest_key
from oidc_core.config import Settings
from oidc_core.endpoints.authing import apps
from oidc_core.endpoints.authing.addresses import KIND, passcode_address
from oidc_core.endpoints.authing.passwords import decrypted, new_password_hash
from oidc_core.endpoints.authing.request import V3Request, object_member, string_member
from oidc_core.errors import OAuthError, invalid_request
from oidc_core.observability import count, logger
from oidc_core.passwords import hashing
from oidc_core.store import users
from oidc_core.store.identifiers import UnusableIdentifier
from oidc_core.store.passcodes import Verdict

# Authing's profile fields a sign-up keeps, and the claim each becomes; any other field is ignored.
PROFILE = {"name": "name", "nickname": "nickname", "givenName": "given_name", "familyName": "family_name",
           "given_name": "given_name", "family_name": "family_name", "locale": "locale"}
MAX_PROFILE_VALUE_LENGTH = 256


def wrong_code() -> OAuthError:
    return OAuthError("invalid_grant", "the code is wrong or has expired; ask for a new one")


def profile_claims(document: dict) -> dict:
    profile = object_member(document, "profile", required=False)
    claims = {}
    for field, claim in PROFILE.items():
        value = string_member(profile, field, "profile")
        if value is not None:
            if len(value) > MAX_PROFILE_VALUE_LENGTH or not value.isprintable():
                raise invalid_request(f"profile.{field} must be printable text of at most "
                                      f"{MAX_PROFILE_VALUE_LENGTH} characters")
            claims[claim] = value
    return claims


def sign_up(request: V3Request, settings: Settings) -> dict:
    app = apps.known_app(request, settings)
    apps.require_sign_up(app, settings)
    connection = request.document.get("connection")
    profile = profile_claims(request.document)
    if connection == "PASSWORD":
        fields, taken_is_secret = _by_password(request, settings), "email" in _named(request)
    elif connection == "PASSCODE":
        fields, taken_is_secret = _by_passcode(request, settings), False
    else:
        raise invalid_request("connection must be PASSWORD or PASSCODE")
    user = _create(settings, fields, profile, taken_is_secret)
    logger.info("sign-up", extra={"outcome": "created" if user.sub else "address_taken", "connection": connection,
                                  "client_id": app.client_id, "sub": user.sub or None,
                                  "source_ip": request.sender.source_ip, "user_agent": request.sender.user_agent})
    if user.sub:
        count("SignUps")
    return _user_data(user, fields)


def _named(request: V3Request) -> list[str]:
    payload = object_member(request.document, "passwordPayload", required=True)
    return [name for name in ("username", "email") if string_member(payload, name, "passwordPayload")]


def _by_password(request: V3Request, settings: Settings) -> dict:
    payload = object_member(request.document, "passwordPayload", required=True)
    named = _named(request)
    if len(named) != 1:
        raise invalid_request("passwordPayload needs exactly one of username, email")
    options = object_member(request.document, "options", required=False)
    password = decrypted(request.sender, payload.get("password"),
                         string_member(options, "passwordEncryptType", "options"), settings)
    value = payload[named[0]]
    return {named[0]: value, "password_hash": new_password_hash(password, [value], settings)}


def _by_passcode(request: V3Request, settings: Settings) -> dict:
    payload = object_member(request.document, "passCodePayload", required=True)
    medium, identifier = passcode_address(payload, "passCodePayload", settings)
    verdict = passcodes.check_code(settings, channel=CHANNEL_REGISTER, address=identifier.value,
                                   code=payload.get("passCode"), digest_key=digest_key(), now=int(time.time()))
    if verdict is not Verdict.ACCEPTED:
        raise wrong_code()
    kind = KIND[medium]
    verified = "email_verified" if kind == "email" else "phone_number_verified"
    # A password nobody knows: the account signs in with codes until its owner resets one.
    unknown = hashing.hash_password(secrets.token_urlsafe(32), settings.argon2)
    return {kind: identifier.value, verified: True, "password_hash": unknown}


def _create(settings: Settings, fields: dict, profile: dict, taken_is_secret: bool) -> users.User:
    """The new user; for a taken address whose owner must stay secret, a user with no sub (nobody was created)."""
    try:
        with aws.dependency("dynamodb"):
            return users.create(settings.users_table, default_country_code=settings.default_phone_country_code,
                                profile=profile, **fields)
    except UnusableIdentifier as problem:
        raise invalid_request(str(problem)) from None
    except users.IdentifierTaken:
        if taken_is_secret:
            return users.User(sub="", password_hash="", profile=profile)
        raise OAuthError("invalid_request", "an account already uses this username, email or phone number") from None


def _user_data(user: users.User, fields: dict) -> dict:
    """The new user as Authing's sign-up answers it (userId and the user's fields, camelCase)."""
    profile = user.profile
    return {"userId": user.sub or str(uuid.uuid4()), "username": fields.get("username"),
            "email": fields.get("email"), "phone": fields.get("phone"),
            "emailVerified": bool(fields.get("email_verified")),
            "phoneVerified": bool(fields.get("phone_number_verified")),
            "name": profile.get("name"), "nickname": profile.get("nickname"),
            "givenName": profile.get("given_name"), "familyName": profile.get("family_name"),
            "locale": profile.get("locale"), "status": "Activated"}

