"""What an Authing v3 call carries, as its SDKs send it (authing-py-sdk, authing-node-sdk): a JSON object body, the
app in an `x-authing-app-id` header on every call, and, for a call made for a signed-in user, the user's access token
in `authorization`, which both SDKs send bare (no `Bearer `). The body's size limit is the token endpoint's
(oidc_core.parameters): one limit for every body the service reads."""

from __future__ import annotations

import json
from dataclasses import dataclass

from oidc_core.config import Settings
from oidc_core.endpoints.userinfo import bearer_token
from oidc_core.errors import invalid_request
from oidc_core.http import caller
from oidc_core.pages.strings import choose_locale
from oidc_core.parameters import ParameterRequest, body_bytes


@dataclass(frozen=True)
class V3Request:
    """A v3 call: its JSON document (values unchecked until a call family reads them), the app it names, and who sent
    it (Authorization, address and user agent, for client authentication, throttling and the audit log)."""

    document: dict
    app_id: str | None
    sender: ParameterRequest
    locale: str = "en"  # of the messages a call sends: Authing's `x-authing-lang`, else Accept-Language

    def access_token(self) -> str:
        """The user's access token from `authorization: <token>` or `Bearer <token>`; a 401 Bearer challenge when
        there is none, a 400 for another scheme (Basic is a client's credentials, never a user's token)."""
        return bearer_token(self.sender.authorization, None, None)


def json_document(body: str | None, *, is_base64_encoded: bool, content_type: str | None) -> dict:
    """The body as a JSON object. Authing's SDKs always send JSON; a request without a content type is read as JSON
    too, one with another type is refused."""
    if (content_type or "application/json").split(";")[0].strip().lower() != "application/json":
        raise invalid_request("content type must be application/json")
    raw = body_bytes(body, is_base64_encoded)
    try:
        document = json.loads(raw.decode("utf-8"))
        json.dumps(document, ensure_ascii=False).encode("utf-8")  # a lone surrogate (\ud800) is no text at all
    except (ValueError, UnicodeError, RecursionError):
        raise invalid_request("the body must be a JSON object of valid text") from None
    if not isinstance(document, dict):
        raise invalid_request("the body must be a JSON object")
    return document


def v3_request(event, settings: Settings) -> V3Request:
    return V3Request(document=json_document(event.body, is_base64_encoded=event.is_base64_encoded,
                                            content_type=event.headers.get("content-type")),
                     app_id=event.headers.get("x-authing-app-id") or None, sender=caller(event, settings),
                     locale=choose_locale(event.headers.get("x-authing-lang"), event.headers.get("accept-language")))


def object_member(document: dict, name: str, *, required: bool) -> dict:
    """A nested object of the document (`passwordPayload`, `options`, …); an absent optional one reads as empty."""
    value = document.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise invalid_request(f"{name} must be an object")
    return value


def string_member(document: dict, name: str, where: str) -> str | None:
    """A text member of `document` (named `where` in the error), None when absent or empty."""
    value = document.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_request(f"{where}.{name} must be a string")
    return value or None
