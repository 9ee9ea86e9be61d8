"""POST /api/v3/signin with `connection: PASSWORD`: the password sign-in of Authing's SDKs (signInByUsernamePassword,
…Email…, …Phone…, …Account…), answered in Authing's envelope with the tokens the password grant gives.

The request is read into the password grant's parameters and goes through the token endpoint itself: the same client
authentication, the same credential path (lockout and throttling included, so a lock earned at one endpoint holds at
the other) and the same tokens; `connection: PASSCODE` (a CHANNEL_LOGIN code instead of the password) answers alike
(passcode_signin). The SDKs send:
    {"connection": "PASSWORD",
     "passwordPayload": {"username" | "email" | "phone" | "account": "…", "password": "…"},
     "options": {"passwordEncryptType": "none" | "rsa" | "sm2", "scope": "…"},
     "client_id": "…", "client_secret": "…"}
with the client in the body, as HTTP Basic, or (a public client) only as the `x-authing-app-id` header.
"""

from __future__ import annotations

from oidc_core.config import Settings
from oidc_core.endpoints.authing import passcode_signin
from oidc_core.endpoints.authing.request import V3Request, object_member, string_member
from oidc_core.endpoints.token import token_response
from oidc_core.errors import invalid_request
from oidc_core.parameters import ParameterRequest
from oidc_core.store.identifiers import ACCOUNT, LOGIN_IDENTIFIER_KINDS

IDENTIFIER_FIELDS = (*LOGIN_IDENTIFIER_KINDS, ACCOUNT)


def client_parameters(request: V3Request) -> dict:
    """The client a sign-in names: in the body, as HTTP Basic, or (a public client) only in Authing's app-id header."""
    document = request.document
    parameters = {"client_id": string_member(document, "client_id", "body"),
                  "client_secret": string_member(document, "client_secret", "body")}
    if not parameters["client_id"] and not (request.sender.authorization or "").lower().startswith("basic "):
        parameters["client_id"] = request.app_id
    return parameters


def as_parameters(request: V3Request, parameters: dict) -> ParameterRequest:
    sender = request.sender
    return ParameterRequest(parameters={name: value for name, value in parameters.items() if value},
                            authorization=sender.authorization, source_ip=sender.source_ip,
                            user_agent=sender.user_agent)


def password_grant_request(request: V3Request) -> ParameterRequest:
    """The password-grant parameters a sign-in request stands for."""
    document = request.document
    payload = object_member(document, "passwordPayload", required=True)
    options = object_member(document, "options", required=False)
    named = [field for field in IDENTIFIER_FIELDS if string_member(payload, field, "passwordPayload")]
    if len(named) != 1:
        raise invalid_request("passwordPayload needs exactly one of username, email, phone, account")
    return as_parameters(request, {
        "grant_type": "password",
        named[0]: payload[named[0]],
        "password": string_member(payload, "password", "passwordPayload"),
        "password_encrypt_type": string_member(options, "passwordEncryptType", "options"),
        "scope": string_member(options, "scope", "options"),
        **client_parameters(request),
    })


def sign_in(request: V3Request, settings: Settings) -> dict:
    """The password grant's answer as Authing's sign-in data (note Authing's `expire_in`); a PASSCODE sign-in
    (endpoints.authing.passcode_signin) answers in the same shape."""
    connection = request.document.get("connection")
    if connection == "PASSCODE":
        options = object_member(request.document, "options", required=False)
        caller = as_parameters(request, {"scope": string_member(options, "scope", "options"),
                                         **client_parameters(request)})
        payload = object_member(request.document, "passCodePayload", required=True)
        return sign_in_data(passcode_signin.passcode_tokens(caller, payload, settings))
    if connection != "PASSWORD":
        raise invalid_request("connection must be PASSWORD or PASSCODE")
    return sign_in_data(token_response(password_grant_request(request), settings))


def sign_in_data(tokens: dict) -> dict:
    data = {name: tokens[name] for name in ("access_token", "id_token", "refresh_token", "scope", "token_type")
            if name in tokens}
    return {**data, "expire_in": tokens["expires_in"]}
