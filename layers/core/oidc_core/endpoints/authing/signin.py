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
"""

from __future__ import annotations

from oidc_core.config import Settings
from oidc_core.endpoints.authing.request import V3Request, object_member, string_member
from oidc_core.endpoints.token import token_response
from oidc_core.errors import invalid_request
from oidc_core.parameters import ParameterRequest
from oidc_core.store.identifiers import ACCOUNT, LOGIN_IDENTIFIER_KINDS

IDENTIFIER_FIELDS = (*LOGIN_IDENTIFIER_KINDS, ACCOUNT)


def password_grant_request(request: V3Request) -> ParameterRequest:
    """The password-grant parameters a sign-in request stands for."""
    document = request.document
    if document.get("connection") != "PASSWORD":
        raise invalid_request("connection must be PASSWORD (the only sign-in this service offers)")
    payload = object_member(document, "passwordPayload", required=True)
    options = object_member(document, "options", required=False)
    named = [field for field in IDENTIFIER_FIELDS if string_member(payload, field, "passwordPayload")]
    if len(named) != 1:
        raise invalid_request("passwordPayload needs exactly one of username, email, phone, account")
    parameters = {
        "grant_type": "password",
        named[0]: payload[named[0]],
        "password": string_member(payload, "password", "passwordPayload"),
        "password_encrypt_type": string_member(options, "passwordEncryptType", "options"),
        "scope": string_member(options, "scope", "options"),
        "client_id": string_member(document, "client_id", "body"),
        "client_secret": string_member(document, "client_secret", "body"),
    }
    sender = request.sender
    if not parameters["client_id"] and not (sender.authorization or "").lower().startswith("basic "):
        parameters["client_id"] = request.app_id  # a public client names itself in Authing's app-id header
    return ParameterRequest(parameters={name: value for name, value in parameters.items() if value},
                            authorization=sender.authorization, source_ip=sender.source_ip,
                            user_agent=sender.user_agent)


def sign_in(request: V3Request, settings: Settings) -> dict:
    """The password grant's answer as Authing's sign-in data (note Authing's `expire_in`)."""
    tokens = token_response(password_grant_request(request), settings)
    data = {name: tokens[name] for name in ("access_token", "id_token", "refresh_token", "scope", "token_type")
            if name in tokens}
    return {**data, "expire_in": tokens["expires_in"]}
