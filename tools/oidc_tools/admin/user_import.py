"""`oidc-admin users import`: users brought from another system, with their password hashes and their ids as `sub`.

One reader per format turns the source's file, as its own tools write it, into our user fields:
- native: JSON Lines of our own user fields (`sub`, `username`, `email`, `phone_number`, the OIDC profile claims…)
  with `password_hash` in any scheme oidc_core.passwords.imported reads (Argon2id PHC strings included);
- auth0: Auth0's bulk-import JSON array (`user_id`, `password_hash` in bcrypt or `custom_password_hash`);
- keycloak: a realm export (`users[]` with `credentials[]` of type password: `secretData` and `credentialData`);
- firebase: `firebase auth:export` JSON, with the project's hash parameters given on the command line;
- authing: Authing's user objects as its management API lists them; they carry no password, so these users wait for
  their first login, which asks the upstream (oidc_core/login/upstream.py) and keeps the password it confirms.

Writes: one TransactWriteItems per user (the user item and one item per login identifier, each only if its key is
free), several users in parallel threads. Not BatchWriteItem: it cannot be conditional, so a second user with an email
someone already has would silently take the identifier item over. A row whose sub is in the table already is skipped
(or, with --on-conflict update, updated), so a re-run of the same file changes nothing; two rows of one file that
share a sub or an identifier are caught before any write, the later one refused. Throttling and transaction conflicts
are retried with exponential backoff. The report counts imported, updated, skipped and refused rows and gives each
refusal with its place in the file and the reason: never a password hash.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError

from oidc_core import aws
from oidc_core.passwords import imported
from oidc_core.passwords.imported import UnusableHash
from oidc_core.store import users
from oidc_core.store.dynamo import from_item, to_item
from oidc_core.store.identifiers import UnusableIdentifier, normalise
from oidc_tools.stack.operations import Target

FORMATS = ("native", "auth0", "keycloak", "firebase", "authing")
WORKERS = 16
_MAX_ATTEMPTS = 8
_RETRYABLE = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded",
              "ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError"}


class Refused(ValueError):
    """A row that cannot be imported, with the reason (never a hash or a password)."""


@dataclass
class Row:
    where: str  # "line 3", "users[7]": where the row is in the file
    source_id: str | None = None
    fields: dict | None = None  # new_user's arguments; None when refused
    reason: str | None = None


@dataclass(frozen=True)
class FirebaseHashParameters:
    """The project's password hash parameters (Firebase console: Authentication, Users, Password hash parameters)."""

    signer_key: bytes
    salt_separator: bytes
    rounds: int
    memory_cost: int


@dataclass
class Report:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    refused: list = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        in_file_order = sorted(self.refused, key=lambda refusal: refusal["order"])
        return {"dry_run": self.dry_run, "imported": self.imported, "updated": self.updated, "skipped": self.skipped,
                "refused": len(self.refused),
                "refusals": [{name: value for name, value in refusal.items() if name != "order"}
                             for refusal in in_file_order]}


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
    first = lambda name: (attributes.get(name) or [None])[0] if isinstance(attributes.get(name), list) else None  # noqa: E731
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


def _items(text: str, source_format: str) -> list[tuple[str, object]]:
    """(where, item) for each user in the file, as its format lays them out."""
    if source_format == "native":
        found = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    found.append((f"line {number}", json.loads(line)))
                except ValueError:
                    found.append((f"line {number}", None))
        return found
    try:
        document = json.loads(text)
    except ValueError as error:
        raise Refused(f"the file is not JSON: {error.msg} at line {error.lineno}") from None
    if source_format in ("keycloak", "firebase"):
        if not isinstance(document, dict) or not isinstance(document.get("users"), list):
            raise Refused(f"a {source_format} export is an object with a users array")
        return [(f"users[{index}]", item) for index, item in enumerate(document["users"])]
    if source_format == "authing" and isinstance(document, dict):
        data = document.get("data")  # the management API's envelope: {"data": {"list": [...]}} or {"data": [...]}
        document = data.get("list") if isinstance(data, dict) else data
    if not isinstance(document, list):
        raise Refused(f"a {source_format} file is a JSON array of users")
    return [(f"[{index}]", item) for index, item in enumerate(document)]


def read_rows(text: str, source_format: str, target: Target, options: dict | None = None) -> list[Row]:
    """Every user of the file, converted and checked (sub, identifiers, hash and its cost), or refused with why."""
    rows = []
    for where, item in _items(text, source_format):
        row = Row(where)
        try:
            if not isinstance(item, dict):
                raise Refused("not a JSON object")
            row.source_id, fields = READERS[source_format](item, options or {})
            if not row.source_id:
                raise Refused("no user id (it becomes the sub)")
            if fields["password_hash"]:
                imported.check_importable(fields["password_hash"], target)
            fields["origin"] = {"imported_from": source_format}
            row.fields = fields
            users.new_user(default_country_code=target.default_phone_country_code, sub=row.source_id, **fields)
        except (Refused, UnusableHash, UnusableIdentifier, ValueError) as error:
            row.fields, row.reason = None, str(error)
        rows.append(row)
    return rows


# -- writing ---------------------------------------------------------------------------------------------------------

def _cancellation_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _transact(writes: list[dict]) -> list[str] | None:
    """None when written; the cancellation codes when a condition failed. Retries what DynamoDB asks to retry."""
    for attempt in range(_MAX_ATTEMPTS):
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=writes)
            return None
        except ClientError as error:
            code = error.response["Error"]["Code"]
            codes = _cancellation_codes(error) if code == "TransactionCanceledException" else [code]
            if "ConditionalCheckFailed" in codes or not set(codes) & _RETRYABLE or attempt == _MAX_ATTEMPTS - 1:
                if code == "TransactionCanceledException" and "ConditionalCheckFailed" in codes:
                    return codes
                raise
        time.sleep(min(2.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0))  # backoff with jitter
    raise AssertionError("unreachable")


def _identifier_keys(record: dict, country_code: str) -> set[str]:
    keys = set()
    for kind, name in (("username", "username"), ("email", "email"), ("phone", "phone_number")):
        if record.get(name):
            identifier = normalise(kind, record[name], country_code)
            if identifier.value:
                keys.add(identifier.key)
    return keys


_COMPARED = ("password_hash", "blocked", "username", "email", "email_verified", "phone_number", "phone_number_verified",
             "address", *users.PROFILE_FIELDS)


def _update(target: Target, new: users.NewUser) -> str:
    """--on-conflict update: the user with this sub takes the file's fields. A native Argon2id hash (the user logged in
    since, or was given a password here) is kept: the file's older hash never replaces it."""
    table = target.users_table
    found = aws.client("dynamodb").get_item(TableName=table, Key=users.user_key(new.sub), ConsistentRead=True)
    if "Item" not in found:
        raise Refused("the user disappeared during the import")
    existing = from_item(found["Item"])
    record = dict(new.record)
    if imported.is_native(existing.get("password_hash", "")) or not record["password_hash"]:
        record["password_hash"] = existing.get("password_hash", "")
    if all(existing.get(name) == record.get(name) for name in _COMPARED):
        return "skipped"
    kept = {name: value for name, value in existing.items()
            if name.startswith("session_epoch") or name in ("migrated_at", "imported_from")}
    if record["password_hash"] != existing.get("password_hash"):
        kept["session_epoch"] = int(existing.get("session_epoch", 0)) + 1  # a new password ends the old sessions
    record.update(kept)
    old_keys = _identifier_keys(existing, target.default_phone_country_code)
    new_keys = {identifier.key for identifier in new.identifiers}
    writes = [{"Put": {"TableName": table, "Item": to_item(record),
                       "ConditionExpression": "attribute_exists(pk) AND password_hash = :seen",
                       "ExpressionAttributeValues": to_item({":seen": existing.get("password_hash", "")})}}]
    writes += [{"Put": {"TableName": table, "Item": to_item({"pk": key, "sub": new.sub}),
                        "ConditionExpression": "attribute_not_exists(pk)"}} for key in sorted(new_keys - old_keys)]
    writes += [{"Delete": {"TableName": table, "Key": {"pk": {"S": key}}, "ConditionExpression": "#sub = :sub",
                           "ExpressionAttributeNames": {"#sub": "sub"},
                           "ExpressionAttributeValues": to_item({":sub": new.sub})}}
               for key in sorted(old_keys - new_keys)]
    codes = _transact(writes)
    if codes is None:
        return "updated"
    if codes[0] == "ConditionalCheckFailed":
        raise Refused("the user changed during the import (a login upgraded the password): run the import again")
    raise Refused("a username, email or phone number of this row belongs to another user")


def _write(target: Target, new: users.NewUser, on_conflict: str) -> str:
    codes = _transact(new.writes(target.users_table))
    if codes is None:
        return "imported"
    if codes[0] == "ConditionalCheckFailed":  # the sub is in the table already
        return "skipped" if on_conflict == "skip" else _update(target, new)
    kinds = [identifier.kind for identifier, code in zip(new.identifiers, codes[1:]) if code == "ConditionalCheckFailed"]
    raise Refused(f"the {' and '.join(kinds) or 'identifier'} belongs to another user already")


def _check_only(target: Target, new: users.NewUser, on_conflict: str) -> str:
    """--dry-run: what the write would do, by reading the keys it would write."""
    client = aws.client("dynamodb")
    if "Item" in client.get_item(TableName=target.users_table, Key=users.user_key(new.sub), ConsistentRead=True):
        return "skipped" if on_conflict == "skip" else "updated"
    taken = [identifier.kind for identifier in new.identifiers
             if "Item" in client.get_item(TableName=target.users_table, Key={"pk": {"S": identifier.key}},
                                          ConsistentRead=True)]
    if taken:
        raise Refused(f"the {' and '.join(taken)} belongs to another user already")
    return "imported"


def import_users(target: Target, path: Path, source_format: str, *, dry_run: bool = False, on_conflict: str = "skip",
                 options: dict | None = None, progress: bool | None = None, workers: int = WORKERS) -> Report:
    from tqdm import tqdm

    if source_format not in FORMATS:
        raise ValueError(f"unknown format {source_format!r}: one of {', '.join(FORMATS)}")
    if on_conflict not in ("skip", "update"):
        raise ValueError("--on-conflict is skip or update")
    report = Report(dry_run=dry_run)
    rows = read_rows(path.read_text(encoding="utf-8"), source_format, target, options)
    order = {row.where: index for index, row in enumerate(rows)}

    def refuse(row: Row, reason: str) -> None:
        report.refused.append({"order": order[row.where], "where": row.where, "id": row.source_id, "reason": reason})

    # Two rows of one file that share a sub or an identifier: the later one is refused, whatever the threads do.
    claimed: dict[str, str] = {}
    to_write = []
    for row in rows:
        if row.fields is None:
            refuse(row, row.reason)
            continue
        new = users.new_user(default_country_code=target.default_phone_country_code, sub=row.source_id, **row.fields)
        keys = [new.record["pk"], *(identifier.key for identifier in new.identifiers)]
        clash = next((claimed[key] for key in keys if key in claimed), None)
        if clash:
            refuse(row, f"its id or an identifier is also in {clash} of this file")
            continue
        claimed.update({key: row.where for key in keys})
        to_write.append((row, new))

    lock = threading.Lock()
    with tqdm(total=len(rows), unit="user", disable=progress is False if progress is not None else None,
              initial=len(rows) - len(to_write)) as bar:
        def one(job):
            row, new = job
            try:
                outcome = (_check_only if dry_run else _write)(target, new, on_conflict)
            except Refused as refusal:
                with lock:
                    refuse(row, str(refusal))
            else:
                with lock:
                    setattr(report, outcome, getattr(report, outcome) + 1)
            bar.update(1)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, to_write))
    return report


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
