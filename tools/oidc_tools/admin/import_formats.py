"""The formats `oidc-admin users import` reads, each as its source's own tools write it, turned into our user fields
(user_import.py says which formats there are and writes the users): the password hash objects of Auth0 and
Keycloak as our stored strings, Firebase's project parameters, Authing's user objects, our own fields; and a file
that is not the format it was said to be, refused naming the format it looks like.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from oidc_core.passwords import imported
from oidc_core.store import users

FORMATS = ("native", "auth0", "keycloak", "firebase", "authing")


class Refused(ValueError):
    """A row that cannot be imported, with the reason (never a hash or a password)."""


@dataclass(frozen=True)
class FirebaseHashParameters:
    """The project's password hash parameters (Firebase console: Authentication, Users, Password hash parameters)."""

    signer_key: bytes
    salt_separator: bytes
    rounds: int
    memory_cost: int


# -- reading the formats ---------------------------------------------------------------------------------------------

def _text(value, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Refused(f"{name} must be a string")
    return value


def _flag(value, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Refused(f"{name} must be true or false")
    return value


def _profile(values: dict) -> dict:
    return {claim: _text(value, claim) for claim, value in values.items() if _text(value, claim) is not None}


def _decode(value, encoding: str, what: str) -> bytes:
    """A byte string as Auth0's schema encodes one: utf8, hex or base64."""
    if not isinstance(value, str):
        raise Refused(f"{what} must be a string")
    try:
        if encoding == "utf8":
            return value.encode("utf-8")
        if encoding == "hex":
            return bytes.fromhex(value)
        if encoding == "base64":
            return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (ValueError, binascii.Error):
        raise Refused(f"{what} is not valid {encoding}") from None
    raise Refused(f"{what} has an unknown encoding {encoding!r} (utf8, hex, base64)")


# Node.js Buffer encodings, as Auth0 names the password's: the same bytes under our names.
_PASSWORD_ENCODINGS = {"utf8": "utf8", "utf-8": "utf8", "utf16le": "utf16le", "ucs2": "utf16le", "ucs-2": "utf16le",
                       "latin1": "latin1", "binary": "latin1", "ascii": "latin1"}
_AUTH0_DIGESTS = {"md4": "md4", "md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha512": "sha512"}
_AUTH0_HMAC_DIGESTS = ("md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512")


def auth0_custom_hash(custom: dict) -> str:
    """Auth0's custom_password_hash object as our stored string."""
    if not isinstance(custom, dict):
        raise Refused("custom_password_hash must be an object")
    algorithm = custom.get("algorithm")
    hash_object = custom.get("hash")
    if isinstance(hash_object, str):
        hash_object = {"value": hash_object}
    if not isinstance(hash_object, dict) or not isinstance(hash_object.get("value"), str):
        raise Refused("custom_password_hash.hash.value is missing")
    value, encoding = hash_object["value"], hash_object.get("encoding", "utf8")
    salt_object = custom.get("salt") or {}
    salt = _decode(salt_object["value"], salt_object.get("encoding", "utf8"), "salt.value") \
        if salt_object.get("value") is not None else b""
    position = salt_object.get("position", "prefix")
    password_encoding = _PASSWORD_ENCODINGS.get((custom.get("password") or {}).get("encoding", "utf8"))
    if password_encoding is None:
        raise Refused("password.encoding must be one of " + ", ".join(_PASSWORD_ENCODINGS))
    if algorithm in ("bcrypt", "argon2"):
        return value
    if algorithm == "ldap":
        return imported.from_ldap(value)
    if algorithm == "pbkdf2":
        parsed = imported.parse(value)  # Auth0 takes PHC strings: $pbkdf2-<digest>$i=…,l=…$salt$hash
        if not parsed.scheme.startswith("pbkdf2-"):
            raise Refused("a pbkdf2 hash.value must be a PHC string $pbkdf2-<digest>$i=…,l=…$<salt>$<hash>")
        if "l" in parsed.params:
            return value  # the key length as given: the import checks it against the hash
        return imported.pbkdf2(parsed.scheme.removeprefix("pbkdf2-"), int(parsed.params.get("i", "0")),
                               parsed.fields[0], parsed.fields[1])
    derived = _decode(value, encoding, "hash.value")
    if algorithm in _AUTH0_DIGESTS:
        return imported.salted_digest(_AUTH0_DIGESTS[algorithm], derived, salt, position, password_encoding)
    if algorithm == "hmac":
        digest = hash_object.get("digest")
        if digest not in _AUTH0_HMAC_DIGESTS:
            raise Refused(f"hmac hash.digest must be one of {', '.join(_AUTH0_HMAC_DIGESTS)}")
        key = hash_object.get("key") or {}
        if key.get("value") is None:
            raise Refused("hmac needs hash.key")
        return imported.hmac_digest(digest, _decode(key["value"], key.get("encoding", "utf8"), "hash.key.value"),
                                    derived, salt, position, password_encoding)
    if algorithm == "scrypt":
        if not salt:
            raise Refused("scrypt needs a salt")
        keylen = custom.get("keylen", len(derived))
        if keylen != len(derived):
            raise Refused("scrypt keylen does not match the hash")
        return imported.scrypt(int(custom.get("cost", 16384)), int(custom.get("blockSize", 8)),
                               int(custom.get("parallelization", 1)), salt, derived)
    raise Refused(f"unknown custom_password_hash.algorithm {algorithm!r}")


def read_auth0(item: dict, options) -> tuple[str, dict]:
    if item.get("password_hash") is not None and item.get("custom_password_hash") is not None:
        raise Refused("password_hash and custom_password_hash are mutually exclusive")
    if item.get("custom_password_hash") is not None:
        password_hash = auth0_custom_hash(item["custom_password_hash"])
    else:
        password_hash = _text(item.get("password_hash"), "password_hash") or ""
    return _text(item.get("user_id"), "user_id"), dict(
        password_hash=password_hash, username=_text(item.get("username"), "username"),
        email=_text(item.get("email"), "email"), phone=_text(item.get("phone_number"), "phone_number"),
        email_verified=_flag(item.get("email_verified"), "email_verified"),
        phone_number_verified=_flag(item.get("phone_verified"), "phone_verified"),
        blocked=_flag(item.get("blocked"), "blocked"),
        profile=_profile({claim: item.get(claim) for claim in
                          ("name", "given_name", "family_name", "nickname", "picture")}))


def _keycloak_parameter(parameters: dict, name: str):
    value = parameters.get(name)
    return value[0] if isinstance(value, list) and value else value


def keycloak_password_hash(credential: dict) -> str:
    """A Keycloak password credential (secretData and credentialData, JSON in strings) as our stored string; the
    iterations and key length come from the credential itself."""
    try:
        secret = json.loads(credential["secretData"])
        data = json.loads(credential["credentialData"])
    except (KeyError, TypeError, ValueError):
        raise Refused("a password credential needs secretData and credentialData JSON") from None
    value = _decode(secret.get("value"), "base64", "secretData.value")
    salt = _decode(secret.get("salt"), "base64", "secretData.salt")
    algorithm = data.get("algorithm")
    iterations = data.get("hashIterations")
    pbkdf2_digests = {"pbkdf2": "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512"}
    if algorithm in pbkdf2_digests:
        if not isinstance(iterations, int) or iterations < 1:
            raise Refused("credentialData.hashIterations must be a positive integer")
        return imported.pbkdf2(pbkdf2_digests[algorithm], iterations, salt, value)
    if algorithm == "argon2":
        parameters = data.get("additionalParameters") or data.get("algorithmData") or {}
        variant = {"id": "argon2id", "i": "argon2i", "d": "argon2d"}.get(_keycloak_parameter(parameters, "type") or "id")
        if variant is None or (_keycloak_parameter(parameters, "version") or "1.3") != "1.3":
            raise Refused("Keycloak argon2 type must be id, i or d, at version 1.3")
        try:
            memory = int(_keycloak_parameter(parameters, "memory"))
            lanes = int(_keycloak_parameter(parameters, "parallelism") or 1)
            length = int(_keycloak_parameter(parameters, "hashLength") or len(value))
        except (TypeError, ValueError):
            raise Refused("Keycloak argon2 memory, parallelism and hashLength must be integers") from None
        if length != len(value) or not isinstance(iterations, int):
            raise Refused("Keycloak argon2 hashLength or hashIterations does not match the hash")
        return imported.argon2(variant, memory, iterations, lanes, salt, value)
    raise Refused(f"unknown Keycloak password algorithm {algorithm!r}")


def read_keycloak(item: dict, options) -> tuple[str, dict]:
    passwords = [credential for credential in item.get("credentials") or [] if credential.get("type") == "password"]
    if len(passwords) > 1:
        raise Refused("more than one password credential")
    attributes = item.get("attributes") or {}
    first = lambda name: (attributes.get(name) or [None])[0] if isinstance(attributes.get(name), list) else None
    given, family = _text(item.get("firstName"), "firstName"), _text(item.get("lastName"), "lastName")
    return _text(item.get("id"), "id"), dict(
        password_hash=keycloak_password_hash(passwords[0]) if passwords else "",
        username=_text(item.get("username"), "username"), email=_text(item.get("email"), "email"),
        phone=_text(first("phoneNumber") or first("phone_number"), "phoneNumber"),
        email_verified=_flag(item.get("emailVerified"), "emailVerified"),
        phone_number_verified=first("phoneNumberVerified") == "true",
        blocked=item.get("enabled") is False,
        profile=_profile({"given_name": given, "family_name": family,
                          "name": " ".join(part for part in (given, family) if part) or None,
                          "picture": first("picture"), "locale": first("locale")}))


def read_firebase(item: dict, options) -> tuple[str, dict]:
    password_hash = ""
    if item.get("passwordHash"):
        parameters: FirebaseHashParameters | None = options.get("firebase")
        if parameters is None:
            raise Refused("a Firebase password hash needs the project's --hash-key, --salt-separator, --rounds and "
                          "--mem-cost")
        password_hash = imported.firebase_scrypt(
            parameters.rounds, parameters.memory_cost, _decode(item.get("salt") or "", "base64", "salt"),
            parameters.salt_separator, parameters.signer_key, _decode(item["passwordHash"], "base64", "passwordHash"))
    return _text(item.get("localId"), "localId"), dict(
        password_hash=password_hash, email=_text(item.get("email"), "email"),
        phone=_text(item.get("phoneNumber"), "phoneNumber"),
        email_verified=_flag(item.get("emailVerified"), "emailVerified"),
        phone_number_verified=bool(item.get("phoneNumber")),  # Firebase signs in phone numbers only by SMS code
        blocked=_flag(item.get("disabled"), "disabled"),
        profile=_profile({"name": item.get("displayName"), "picture": item.get("photoUrl")}))


# Authing's user status: only Activated users log in.
_AUTHING_ACTIVE = ("Activated", None, "")
_AUTHING_GENDERS = {"M": "male", "F": "female"}


def read_authing(item: dict, options) -> tuple[str, dict]:
    phone = _text(item.get("phone"), "phone")
    country_code = _text(item.get("phoneCountryCode"), "phoneCountryCode")
    if phone and country_code and not phone.startswith(("+", "00")):
        phone = country_code + phone
    return _text(item.get("userId"), "userId"), dict(
        password_hash="",  # Authing exports no password hash: the first login asks Authing (lazy migration)
        username=_text(item.get("username"), "username"), email=_text(item.get("email"), "email"), phone=phone,
        email_verified=_flag(item.get("emailVerified"), "emailVerified"),
        phone_number_verified=_flag(item.get("phoneVerified"), "phoneVerified"),
        blocked=_flag(item.get("blocked"), "blocked") or item.get("status") not in _AUTHING_ACTIVE,
        profile=_profile({"name": item.get("name"), "nickname": item.get("nickname"), "picture": item.get("photo"),
                          "given_name": item.get("givenName"), "family_name": item.get("familyName"),
                          "middle_name": item.get("middleName"), "profile": item.get("profile"),
                          "website": item.get("website"), "birthdate": item.get("birthdate"),
                          "gender": _AUTHING_GENDERS.get(item.get("gender")), "locale": item.get("locale"),
                          "zoneinfo": item.get("zoneinfo")}))


def read_native(item: dict, options) -> tuple[str, dict]:
    known = {"sub", "password_hash", "username", "email", "phone_number", "email_verified", "phone_number_verified",
             "blocked", "address", *users.PROFILE_FIELDS}
    unknown = sorted(set(item) - known)
    if unknown:
        raise Refused(f"unknown fields: {', '.join(unknown)}")
    if item.get("address") is not None and not isinstance(item["address"], dict):
        raise Refused("address must be an object (OIDC Core §5.1.1)")
    return _text(item.get("sub"), "sub"), dict(
        password_hash=_text(item.get("password_hash"), "password_hash") or "",
        username=_text(item.get("username"), "username"), email=_text(item.get("email"), "email"),
        phone=_text(item.get("phone_number"), "phone_number"),
        email_verified=_flag(item.get("email_verified"), "email_verified"),
        phone_number_verified=_flag(item.get("phone_number_verified"), "phone_number_verified"),
        blocked=_flag(item.get("blocked"), "blocked"), address=item.get("address"),
        profile=_profile({claim: item.get(claim) for claim in users.PROFILE_FIELDS}))


READERS = {"native": read_native, "auth0": read_auth0, "keycloak": read_keycloak, "firebase": read_firebase,
           "authing": read_authing}


_FORMAT_NAMES = {"native": "JSON Lines of our own user fields", "auth0": "an Auth0 bulk-import file",
                 "keycloak": "a Keycloak realm export", "firebase": "a Firebase auth:export file",
                 "authing": "a list of Authing users"}


def _first_user(document) -> dict:
    users_of = document.get("users") if isinstance(document, dict) else document
    first = users_of[0] if isinstance(users_of, list) and users_of else None
    return first if isinstance(first, dict) else {}


def guess_format(document) -> str | None:
    """Which export a parsed JSON document looks like, by the marks each source's own tools leave: None if none."""
    first = _first_user(document)
    if isinstance(document, dict):
        if "realm" in document or "credentials" in first:
            return "keycloak"
        if "localId" in first:
            return "firebase"
        if "data" in document:
            return "authing"  # the management API's envelope
        return None
    if "userPoolId" in first or "userId" in first:
        return "authing"
    if "user_id" in first or "custom_password_hash" in first:
        return "auth0"
    return None  # native is JSON Lines, never one document: a list of our own fields is said so by its reader


def _not_this_format(source_format: str, document, shape: str) -> Refused:
    """The refusal of a file whose shape is not the format's, naming the format it looks like when it looks like
    one."""
    guessed = guess_format(document)
    if guessed and guessed != source_format:
        return Refused(f"this looks like {_FORMAT_NAMES[guessed]}, not {_FORMAT_NAMES[source_format]}: "
                       f"use --format {guessed}")
    return Refused(shape)


def _native_items(text: str) -> list[tuple[str, object]]:
    try:  # a whole-file JSON array or export object is some other format's file, not JSON Lines
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, list) or (isinstance(document, dict) and {"users", "realm", "data"} & set(document)):
        raise _not_this_format("native", document, "native is one JSON object per line (JSON Lines), not one JSON "
                                                   "document")
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                found.append((f"line {number}", json.loads(line)))
            except ValueError:
                found.append((f"line {number}", None))
    return found


def items_of(text: str, source_format: str) -> list[tuple[str, object]]:
    """(where, item) for each user in the file, as its format lays them out."""
    if source_format == "native":
        return _native_items(text)
    try:
        document = json.loads(text)
    except ValueError as error:
        raise Refused(f"the file is not JSON: {error.msg} at line {error.lineno}") from None
    if source_format in ("keycloak", "firebase"):
        if not isinstance(document, dict) or not isinstance(document.get("users"), list):
            raise _not_this_format(source_format, document, f"a {source_format} export is an object with a users array")
        if guess_format(document) not in (source_format, None):
            raise _not_this_format(source_format, document, "")
        return [(f"users[{index}]", item) for index, item in enumerate(document["users"])]
    if isinstance(document, list) and guess_format(document) not in (source_format, None):
        raise _not_this_format(source_format, document, "")
    listed = document
    if source_format == "authing" and isinstance(document, dict):
        data = document.get("data")  # the management API's envelope: {"data": {"list": [...]}} or {"data": [...]}
        listed = data.get("list") if isinstance(data, dict) else data
    if not isinstance(listed, list):
        raise _not_this_format(source_format, document, f"a {source_format} file is a JSON array of users")
    return [(f"[{index}]", item) for index, item in enumerate(listed)]


def read_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without a byte-order mark). Anything else is refused naming the file, not a
    codec position."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Refused(f"{path} is UTF-16 text: save it as UTF-8 and import it again")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(f"{path} is not a text file (not UTF-8): is it the JSON export?") from None


def firebase_parameters(hash_key: str | None, salt_separator: str | None, rounds: int | None,
                        memory_cost: int | None) -> FirebaseHashParameters | None:
    given = [hash_key, salt_separator, rounds, memory_cost]
    if all(value is None for value in given):
        return None
    if any(value is None for value in given):
        raise ValueError("--hash-key, --salt-separator, --rounds and --mem-cost go together (the project's password "
                         "hash parameters)")
    try:
        return FirebaseHashParameters(base64.b64decode(hash_key, validate=True),
                                      base64.b64decode(salt_separator, validate=True), rounds, memory_cost)
    except (ValueError, binascii.Error):
        raise ValueError("--hash-key and --salt-separator are base64, as the Firebase console shows them") from None
