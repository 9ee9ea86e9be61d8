"""Passkeys (WebAuthn Level 2, with Level 3's backup flags) through py_webauthn: options, registration, assertion.

Every byte of CBOR, COSE, attestation and signature is py_webauthn's (`webauthn`, maintained by Duo Labs). What this
module adds is our policy around it:

- a registration asks for a discoverable credential (resident key required: the passkey can sign in alone), takes
  attestation "none" (we trust no vendor list, so an attestation would only leak the device's make), and stores the
  credential with its counter, backup flags, transports and AAGUID (store/passkeys.py);
- the origin is compared exactly, the RP ID is a domain (the issuer's host, or the parent domain the operator names);
- an assertion for a passwordless sign-in requires user verification (UV) and a user handle that is the passkey's
  owner's (§7.2 step 6); as a second factor after a password, user presence is enough;
- the sign counter must grow unless it is 0 on both sides (§6.1.1), checked by py_webauthn against the stored value
  and then again by the conditional write that stores the new one, so two racing assertions cannot both pass;
- the backup eligibility (BE) of a credential cannot change (Level 3 §6.1.3: a BE that flips is an error); backup
  state (BS) may, and is stored; BS without BE is refused (py_webauthn).

Any failure is one PasskeyRejected: the page says "that passkey could not be used", never which check failed.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import webauthn as py_webauthn
from webauthn.helpers import (bytes_to_base64url, options_to_json, parse_authentication_credential_json,
                              parse_registration_credential_json)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AttestationConveyancePreference, AuthenticatorSelectionCriteria, AuthenticatorTransport,
                                      CredentialDeviceType, PublicKeyCredentialDescriptor, ResidentKeyRequirement,
                                      UserVerificationRequirement)

from oidc_core.store import passkeys as stored
from oidc_core.store.passkeys import Passkey

# Long enough for someone fetching a phone (the hybrid transport), short enough that an options page left open is
# not a standing invitation; the interaction that keeps the challenge lives longer than this.
TIMEOUT_MS = 180_000
CHALLENGE_BYTES = 32
USER_HANDLE_BYTES = 32
# ES256 first (every platform authenticator), EdDSA, then RS256 (Windows Hello's older TPM keys).
ALGORITHMS = [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.EDDSA,
              COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]


class PasskeyRejected(Exception):
    """The response did not verify, or the credential is unknown, not the user's, or its counter went back."""


@dataclass(frozen=True)
class RelyingParty:
    """Checked when made (configuration is parsed once, at init), so that a misconfigured RP fails the deployment's
    first request rather than every browser's ceremony."""

    id: str  # a domain: the issuer's host or a parent of it (an IP address cannot be an RP ID)
    name: str
    origin: str  # scheme://host[:port] of the pages, compared exactly

    def __post_init__(self):
        parts = urlsplit(self.origin)
        host = parts.hostname or ""
        if not self.id or _is_ip_address(self.id):
            raise ValueError("a WebAuthn RP ID is a domain, never an IP address (WebAuthn §5.1.4.1)")
        if host != self.id and not host.endswith("." + self.id):
            raise ValueError("the pages' host must be the RP ID or a subdomain of it")
        if self.origin != f"{parts.scheme}://{parts.netloc}":
            raise ValueError("an origin is scheme://host[:port], nothing more")
        # WebAuthn needs a secure context: https, or http on localhost (what browsers treat as secure).
        if parts.scheme != "https" and not (parts.scheme == "http" and (host == "localhost"
                                                                         or host.endswith(".localhost"))):
            raise ValueError("WebAuthn needs https (or http://localhost)")


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def new_user_handle() -> bytes:
    """A user's WebAuthn user.id: random, never the sub (§14.6.1: no personal information)."""
    return secrets.token_bytes(USER_HANDLE_BYTES)


_TRANSPORTS = {transport.value: transport for transport in AuthenticatorTransport}


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    # A transport this py_webauthn does not know is left out: it is a hint to the browser, never a requirement.
    transports = [_TRANSPORTS[name] for name in passkey.transports if name in _TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=py_webauthn.base64url_to_bytes(passkey.credential_id),
                                         transports=transports or None)


def registration_options(rp: RelyingParty, *, user_handle: bytes, user_name: str, display_name: str,
                         existing: list[Passkey]) -> tuple[str, bytes]:
    """(PublicKeyCredentialCreationOptions as JSON for the page's script, the challenge to keep in the interaction).
    The user's passkeys are excluded, so an authenticator that has one already says so instead of making another."""
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = py_webauthn.generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=user_handle, user_name=user_name, user_display_name=display_name,
        challenge=challenge, timeout=TIMEOUT_MS, attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True,
            user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[_descriptor(passkey) for passkey in existing], supported_pub_key_algs=ALGORITHMS)
    return options_to_json(options), challenge


def authentication_options(rp: RelyingParty, passkeys: list[Passkey] | None) -> tuple[str, bytes]:
    """Options for navigator.credentials.get. `passkeys` None: a passwordless sign-in (any discoverable passkey,
    user verification required); else the second factor of a known user, limited to that user's passkeys."""
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = py_webauthn.generate_authentication_options(
        rp_id=rp.id, challenge=challenge, timeout=TIMEOUT_MS,
        allow_credentials=[_descriptor(passkey) for passkey in passkeys or []],
        user_verification=(UserVerificationRequirement.REQUIRED if passkeys is None
                           else UserVerificationRequirement.PREFERRED))
    return options_to_json(options), challenge


def verify_registration(rp: RelyingParty, response: str | dict, *, challenge: bytes, sub: str, user_handle: bytes,
                        now: int | None = None) -> Passkey:
    """The new passkey a registration response describes, verified (challenge, origin, RP ID hash, user presence,
    algorithm, attestation "none"); not stored yet."""
    try:
        verified = py_webauthn.verify_registration_response(
            credential=response, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin,
            supported_pub_key_algs=ALGORITHMS)
        transports = parse_registration_credential_json(response).response.transports or []
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRejected(type(error).__name__) from None
    return Passkey(
        credential_id=bytes_to_base64url(verified.credential_id), sub=sub, user_handle=user_handle,
        public_key=verified.credential_public_key, sign_count=verified.sign_count,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backup_state=verified.credential_backed_up, transports=tuple(str(getattr(t, "value", t)) for t in transports),
        aaguid=verified.aaguid, user_verified=verified.user_verified,
        created_at=int(time.time()) if now is None else now)


def register(table: str, rp: RelyingParty, response: str | dict, *, challenge: bytes, sub: str, user_handle: bytes,
             now: int | None = None) -> Passkey:
    """Verify and store a new passkey; PasskeyRejected also when its credential id is registered already."""
    passkey = verify_registration(rp, response, challenge=challenge, sub=sub, user_handle=user_handle, now=now)
    if not stored.add(table, passkey):
        raise PasskeyRejected("credential already registered")
    return passkey


@dataclass(frozen=True)
class Assertion:
    new_sign_count: int
    backup_state: bool
    user_verified: bool


def verify_assertion(rp: RelyingParty, response: str | dict, *, challenge: bytes, passkey: Passkey,
                     passwordless: bool) -> Assertion:
    """Check an assertion against the stored passkey (signature, challenge, origin, RP ID hash, user presence, the
    counter, the backup flags; and for a passwordless sign-in user verification and the user handle)."""
    try:
        credential = parse_authentication_credential_json(response)
        user_handle = credential.response.user_handle
        if bytes_to_base64url(credential.raw_id) != passkey.credential_id:
            raise PasskeyRejected("another credential")
        if (user_handle is not None or passwordless) and user_handle != passkey.user_handle:
            raise PasskeyRejected("user handle")
        verified = py_webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin,
            credential_public_key=passkey.public_key, credential_current_sign_count=passkey.sign_count,
            require_user_verification=passwordless)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRejected(type(error).__name__) from None
    if (verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE) != passkey.backup_eligible:
        raise PasskeyRejected("backup eligibility changed")
    return Assertion(new_sign_count=verified.new_sign_count, backup_state=verified.credential_backed_up,
                     user_verified=verified.user_verified)


def credential_id_of(response: str | dict) -> str:
    try:
        return bytes_to_base64url(parse_authentication_credential_json(response).raw_id)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRejected(type(error).__name__) from None


def authenticate(table: str, rp: RelyingParty, response: str | dict, *, challenge: bytes, sub: str | None = None,
                 now: int | None = None) -> Passkey:
    """Sign in with a passkey: as the second factor of `sub`, or (sub None) passwordless, the user being the
    passkey's owner. Returns the passkey as updated; PasskeyRejected for any failure, a lost race included."""
    passkey = stored.find(table, credential_id_of(response))
    if passkey is None or (sub is not None and passkey.sub != sub):
        raise PasskeyRejected("unknown credential")
    assertion = verify_assertion(rp, response, challenge=challenge, passkey=passkey, passwordless=sub is None)
    now = int(time.time()) if now is None else now
    if not stored.record_use(table, passkey, assertion.new_sign_count, assertion.backup_state, now):
        raise PasskeyRejected("counter moved meanwhile")
    return replace(passkey, sign_count=assertion.new_sign_count, backup_state=assertion.backup_state,
                   last_used_at=now)
