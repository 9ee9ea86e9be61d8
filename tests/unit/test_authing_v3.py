"""The Authing v3 package's shared pieces (oidc_core.endpoints.authing.request and .envelope): what every v3 call
reads from its event (a JSON object within the token endpoint's body limit, the app in `x-authing-app-id`, the user's
access token in `authorization` bare or as Bearer, as both Authing SDKs send it) and how every call answers."""

from __future__ import annotations

import json

import pytest

from oidc_core.config import load_settings
from oidc_core.endpoints.authing import envelope
from oidc_core.endpoints.authing.request import object_member, string_member, v3_request
from oidc_core.errors import DependencyUnavailable, OAuthError, invalid_request
from oidc_core.parameters import parse_parameters
from oidc_core.routing import HttpEvent
from oidc_tools.local.lambda_events import http_api_event

SETTINGS = load_settings({"ISSUER": "https://auth.example.com/oidc"})
JSON = "application/json"
BODY_LIMIT = 64 * 1024  # every endpoint refuses a body over 64 KiB, whatever its format


def event(body: bytes = b"{}", headers: dict | None = None) -> HttpEvent:
    sent = {"content-type": JSON, **(headers or {})}
    return HttpEvent(http_api_event("POST", "/api/v3/signin", route_key="POST /api/v3/signin",
                                    headers=list(sent.items()), body=body, source_ip="198.51.100.7"))


def json_of(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    skeleton = json.dumps({"connection": ""}).encode()
    return json.dumps({"connection": "x" * (size - len(skeleton))}).encode()


def test_a_v3_call_reads_its_json_the_app_id_and_the_sender():
    request = v3_request(event(b'{"connection": "PASSWORD", "passwordPayload": {"a": [1]}}',
                               {"x-authing-app-id": "demo-spa", "user-agent": "authing-py-sdk"}), SETTINGS)
    assert request.document == {"connection": "PASSWORD", "passwordPayload": {"a": [1]}}
    assert request.app_id == "demo-spa"
    assert (request.sender.source_ip, request.sender.user_agent) == ("198.51.100.7", "authing-py-sdk")
    assert v3_request(event(), SETTINGS).app_id is None


@pytest.mark.parametrize("size, accepted", [(BODY_LIMIT, True), (BODY_LIMIT + 1, False)])
def test_the_body_limit_is_the_token_endpoints(size, accepted):
    """One limit for every body: a v3 call and a token request of the same size are both read, or both refused."""
    body = json_of(size)
    assert len(body) == size
    outcomes = []
    for read in (lambda: v3_request(event(body), SETTINGS),
                 lambda: parse_parameters(body.decode(), content_type=JSON, is_base64_encoded=False,
                                          authorization=None)):
        try:
            read()
            outcomes.append(True)
        except OAuthError as refused:
            assert (refused.error, refused.description) == ("invalid_request", "request body too large")
            outcomes.append(False)
    assert outcomes == [accepted, accepted]


@pytest.mark.parametrize("body, content_type, message", [
    (b"{not json", JSON, "JSON object of valid text"),
    (b"[]", JSON, "must be a JSON object"),
    (b'"text"', JSON, "must be a JSON object"),
    (b'{"a": "\\ud800"}', JSON, "valid text"),
    (b"\xff\xfe", JSON, "valid text"),
    (b"connection=PASSWORD", "application/x-www-form-urlencoded", "content type must be application/json"),
    (b"{}", "text/plain", "content type must be application/json"),
])
def test_a_body_that_is_not_a_json_object_is_a_clear_400(body, content_type, message):
    with pytest.raises(OAuthError) as refused:
        v3_request(event(body, {"content-type": content_type}), SETTINGS)
    assert (refused.value.status_code, refused.value.error) == (400, "invalid_request")
    assert message in refused.value.description


def test_a_body_without_a_content_type_is_read_as_json():
    bare = HttpEvent({**http_api_event("POST", "/api/v3/signin", route_key="POST /api/v3/signin", body=b'{"a": "b"}'),
                      "headers": {}})
    assert v3_request(bare, SETTINGS).document == {"a": "b"}


@pytest.mark.parametrize("authorization", ["eyJ.token.sig", "Bearer eyJ.token.sig", "bearer  eyJ.token.sig "])
def test_the_users_access_token_comes_bare_or_as_bearer(authorization):
    """authing-py-sdk and authing-node-sdk send `authorization: <token>`; a standard client sends `Bearer <token>`."""
    assert v3_request(event(headers={"authorization": authorization}), SETTINGS).access_token() == "eyJ.token.sig"


def test_no_access_token_is_a_401_bearer_challenge():
    with pytest.raises(OAuthError) as refused:
        v3_request(event(), SETTINGS).access_token()
    assert refused.value.status_code == 401 and refused.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_clients_basic_credentials_are_no_users_token():
    with pytest.raises(OAuthError) as refused:
        v3_request(event(headers={"authorization": "Basic ZGVtbzpzZWNyZXQ="}), SETTINGS).access_token()
    assert (refused.value.status_code, refused.value.error) == (400, "invalid_request")


def test_members_are_checked_where_they_are_read():
    document = {"payload": {"email": "a@b.c", "empty": "", "number": 4}, "text": "x"}
    assert object_member(document, "payload", required=True)["email"] == "a@b.c"
    assert object_member(document, "options", required=False) == {}
    assert string_member(document["payload"], "email", "payload") == "a@b.c"
    assert string_member(document["payload"], "empty", "payload") is None
    with pytest.raises(OAuthError, match="options must be an object"):
        object_member(document, "options", required=True)
    with pytest.raises(OAuthError, match="text must be an object"):
        object_member(document, "text", required=False)
    with pytest.raises(OAuthError, match="payload.number must be a string"):
        string_member(document["payload"], "number", "payload")


def answered(call, body: bytes = b"{}") -> tuple[int, dict, dict]:
    response = envelope.answer(event(body), SETTINGS, call)
    return response.status_code, json.loads(response.body), response.headers


def test_a_calls_data_is_answered_in_authings_envelope():
    status, body, headers = answered(lambda request, settings: {"echo": request.document["a"]}, b'{"a": 1}')
    assert (status, body) == (200, {"statusCode": 200, "message": "", "data": {"echo": 1}})
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"


def test_every_failure_is_answered_in_the_envelope_with_its_status_and_headers():
    def outage(request, settings):
        raise DependencyUnavailable("dynamodb")

    status, body, headers = answered(outage)
    assert (status, body["statusCode"], body["error"], body["data"]) == (503, 503, "temporarily_unavailable", None)
    assert headers["Retry-After"].isdigit() and "apiCode" not in body

    def refused(request, settings):
        raise invalid_request("channel must be one of CHANNEL_LOGIN, CHANNEL_REGISTER")

    assert answered(refused)[:2] == (400, {"statusCode": 400, "message": "channel must be one of CHANNEL_LOGIN, "
                                           "CHANNEL_REGISTER", "error": "invalid_request", "data": None})
    assert answered(refused, b"[]")[1]["message"] == "the body must be a JSON object"  # read before the call runs


def test_an_error_with_authings_api_code_carries_it():
    def rate_limited(request, settings):
        raise envelope.V3Error("slow_down", "one code per minute", api_code=2220, status_code=429,
                               headers={"Retry-After": "60"})

    status, body, headers = answered(rate_limited)
    assert (status, body["statusCode"], body["apiCode"], headers["Retry-After"]) == (429, 429, 2220, "60")
