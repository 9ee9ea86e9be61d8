"""POST /api/v3/signin with `connection: PASSWORD`: the password sign-in of Authing's SDKs (signInByUsernamePassword,
…Email…, …Phone…, …Account…), answered in Authing's envelope with the tokens the password grant gives.

The request is read into the password grant's parameters and goes through the token endpoint itself: the same client
authentication, the same credential path (lockout and throttling included, so a lock earned at one endpoint holds at
the other) and the same tokens. The SDKs send:
    {"connection": "PASSWORD",
     "passwordPayload": {"username" | "email" | "phone" | "account": "…", "password": "…"},
     "options": {"passwordEncryptType": "none" | "rsa" | "sm2", "scope": "…"},
     "client_id": "…", "client_secret": "…"}
with the client in the body, as HTTP Basic, or (a public client) only as the `x-authing-app-id` header.
Every failure answers one envelope whatever the reason: `{"statusCode": <HTTP status>, "message": …, "error": …}`.
"""

from __future__ import annotations

import base64
import binascii
import json

from oidc_core.config import Settings
from oidc_core.errors import OAuthError, invalid_request
from oidc_core.store.identifiers import ACCOUNT, LOGIN_IDENTIFIER_KINDS
from oidc_core.endpoints.token import token_response
from oidc_core.token_request import TokenRequest

IDENTIFIER_FIELDS = (*LOGIN_IDENTIFIER_KINDS, ACCOUNT)


def _object(document: dict, name: str, required: bool) -> dict:
    value = document.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise invalid_request(f"{name} must be an object")
    return value


def _string(document: dict, name: str, where: str) -> str | None:
    value = document.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_request(f"{where}.{name} must be a string")
    return value or None


def password_grant_request(request: TokenRequest, app_id: str | None) -> TokenRequest:
    """The password-grant parameters a sign-in request stands for."""
    document = request.parameters  # parsed as JSON already: every value checked below
    if document.get("connection") != "PASSWORD":
        raise invalid_request("connection must be PASSWORD (the only sign-in this service offers)")
    payload = _object(document, "passwordPayload", required=True)
    options = _object(document, "options", required=False)
    named = [field for field in IDENTIFIER_FIELDS if _string(payload, field, "passwordPayload")]
    if len(named) != 1:
        raise invalid_request("passwordPayload needs exactly one of username, email, phone, account")
    parameters = {
        "grant_type": "password",
        named[0]: payload[named[0]],
        "password": _string(payload, "password", "passwordPayload"),
        "password_encrypt_type": _string(options, "passwordEncryptType", "options"),
        "scope": _string(options, "scope", "options"),
        "client_id": _string(document, "client_id", "body"),
        "client_secret": _string(document, "client_secret", "body"),
    }
    if not parameters["client_id"] and not (request.authorization or "").lower().startswith("basic "):
        parameters["client_id"] = app_id  # a public client names itself in Authing's app-id header
    return TokenRequest(parameters={name: value for name, value in parameters.items() if value},
                        authorization=request.authorization, source_ip=request.source_ip,
                        user_agent=request.user_agent)


MAX_BODY_BYTES = 64 * 1024


def _json_document(body: str | None, is_base64_encoded: bool, content_type: str | None) -> dict:
    if (content_type or "application/json").split(";")[0].strip().lower() != "application/json":
        raise invalid_request("content type must be application/json")
    try:
        raw = base64.b64decode(body or "", validate=True) if is_base64_encoded else (body or "").encode("utf-8")
        if len(raw) > MAX_BODY_BYTES:
            raise invalid_request("request body too large")
        document = json.loads(raw.decode("utf-8"))
        json.dumps(document, ensure_ascii=False).encode("utf-8")  # a lone surrogate (\ud800) is no text at all
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        raise invalid_request("the body must be a JSON object of valid text") from None
    if not isinstance(document, dict):
        raise invalid_request("the body must be a JSON object")
    return document


def sign_in(request: TokenRequest, app_id: str | None, settings: Settings) -> dict:
    """Authing's success envelope around the password grant's answer (note Authing's `expire_in`)."""
    tokens = token_response(password_grant_request(request, app_id), settings)
    data = {name: tokens[name] for name in ("access_token", "id_token", "refresh_token", "scope", "token_type")
            if name in tokens}
    return {"statusCode": 200, "message": "", "data": {**data, "expire_in": tokens["expires_in"]}}


def signin_request(body: str | None, *, is_base64_encoded: bool, content_type: str | None,
                   caller: TokenRequest) -> TokenRequest:
    """The sign-in body as a request from the caller (whose Authorization, address and user agent it keeps)."""
    return TokenRequest(parameters=_json_document(body, is_base64_encoded, content_type),
                        authorization=caller.authorization, source_ip=caller.source_ip, user_agent=caller.user_agent)


def error_envelope(error: OAuthError) -> dict:
    return {"statusCode": error.status_code, "message": error.description, "error": error.error, "data": None}
