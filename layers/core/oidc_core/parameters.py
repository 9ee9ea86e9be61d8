"""Reading a request body as API Gateway delivers it (form or JSON, plain or base64, RFC 6749 §3.2) into named
parameters: the token, introspection and revocation endpoints, userinfo's form and the login page's forms. The body's
size limit is here, once: Authing's v3 calls read their nested JSON from `body_bytes` too."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from oidc_core.errors import invalid_request

MAX_BODY_BYTES = 64 * 1024
# The parameters the endpoints read (RFC 6749, 7009, 7662, OIDC, Authing): an error may name one of these, never a
# name the sender made up.
KNOWN_PARAMETERS = frozenset({
    "grant_type", "client_id", "client_secret", "scope", "username", "email", "phone", "account", "password",
    "password_encrypt_type", "refresh_token", "token", "token_type_hint", "access_token", "code", "redirect_uri",
    "code_verifier", "state", "nonce", "id_token_hint", "post_logout_redirect_uri",
})


@dataclass(frozen=True)
class ParameterRequest:
    """A request as parameters by name, and who sent it (no parameters at all when only the sender matters: see
    http.caller). An empty value counts as absent (RFC 6749 §3.1)."""

    parameters: dict[str, str]
    authorization: str | None = None
    source_ip: str = "unknown"  # the caller's address, for throttling and the audit log
    user_agent: str = ""

    def get(self, name: str) -> str | None:
        return self.parameters.get(name) or None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise invalid_request(f"missing parameter: {name}")
        return value


def body_bytes(body: str | None, is_base64_encoded: bool) -> bytes:
    """The body as sent, within the one size limit every endpoint has."""
    if not body:
        return b""
    if len(body) > MAX_BODY_BYTES * 2:
        raise invalid_request("request body too large")
    if is_base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise invalid_request("request body is not valid base64") from None
    else:
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise invalid_request("request body too large")
    return raw


def _form_parameters(raw: bytes) -> list[tuple[str, str]]:
    try:
        text = raw.decode("ascii")  # a form body is percent-encoded ASCII; anything else is malformed
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("request body is not a valid application/x-www-form-urlencoded form") from None


class _JsonObjectPairs(list):
    """A JSON object kept as its (name, value) pairs, so a repeated name is still visible."""


def _json_parameters(raw: bytes) -> list[tuple[str, str]]:
    try:
        document = json.loads(raw.decode("utf-8"), object_pairs_hook=_JsonObjectPairs)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid_request("request body is not valid JSON") from None
    if not isinstance(document, _JsonObjectPairs):
        raise invalid_request("request body must be a JSON object")
    if not all(isinstance(value, str) for _, value in document):
        raise invalid_request("every parameter must be a string")
    try:
        # JSON can escape a lone surrogate (\ud800) that is no character at all; a form body cannot carry one.
        for name, value in document:
            name.encode("utf-8"), value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_request("parameters must be valid Unicode text") from None
    return document


def parse_parameters(
    body: str | None, *, content_type: str | None, is_base64_encoded: bool, authorization: str | None,
    source_ip: str = "unknown", user_agent: str = "",
) -> ParameterRequest:
    raw = body_bytes(body, is_base64_encoded)
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "application/json":
        pairs = _json_parameters(raw) if raw else []
    elif media_type in ("application/x-www-form-urlencoded", ""):
        pairs = _form_parameters(raw)
    else:
        raise invalid_request("content type must be application/x-www-form-urlencoded or application/json")

    parameters: dict[str, str] = {}
    for name, value in pairs:
        if name in parameters:
            raise invalid_request(f"parameter sent more than once: {name}" if name in KNOWN_PARAMETERS
                                  else "a parameter was sent more than once")
        parameters[name] = value
    return ParameterRequest(parameters=parameters, authorization=authorization, source_ip=source_ip,
                        user_agent=user_agent[:256])
