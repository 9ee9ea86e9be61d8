import base64
import json

import pytest

from oidc_core.errors import OAuthError
from oidc_core.parameters import parse_parameters

FORM = "application/x-www-form-urlencoded"


def parse(body: bytes, content_type=FORM, *, b64=True, authorization=None):
    text = base64.b64encode(body).decode() if b64 else body.decode()
    return parse_parameters(text, content_type=content_type, is_base64_encoded=b64, authorization=authorization)


def test_base64_form_body_as_api_gateway_sends_it():
    request = parse(b"grant_type=password&username=a%40b.c&password=p+w%26")
    assert request.parameters == {"grant_type": "password", "username": "a@b.c", "password": "p w&"}


def test_plain_form_body_and_charset_parameter():
    request = parse(b"grant_type=password&scope=openid+email", f"{FORM}; charset=UTF-8", b64=False)
    assert request.require("scope") == "openid email"


def test_utf8_percent_encoded_values():
    assert parse("password=%E5%AF%86%E7%A0%81%F0%9F%98%80".encode()).get("password") == "密码😀"


def test_json_body():
    request = parse(json.dumps({"grant_type": "password", "email": "x@y.z"}).encode(), "application/json", b64=False)
    assert request.get("email") == "x@y.z"


def test_missing_content_type_is_read_as_a_form():
    assert parse(b"grant_type=password", None).get("grant_type") == "password"


def test_empty_value_counts_as_absent():
    request = parse(b"grant_type=password&scope=")
    assert request.get("scope") is None
    with pytest.raises(OAuthError) as error:
        request.require("scope")
    assert error.value.error == "invalid_request"


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"a=1&a=2", FORM),
        (b"a=1&a=", FORM),
        (b'{"a": "1", "a": "2"}', "application/json"),
    ],
)
def test_a_repeated_parameter_is_invalid_request(body, content_type):
    with pytest.raises(OAuthError) as error:
        parse(body, content_type)
    assert error.value.error == "invalid_request" and "a" in error.value.description


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"\xff=1", FORM),
        (b"a=%FF", FORM),
        (b"[]", "application/json"),
        (b'"text"', "application/json"),
        (b'{"a": 1}', "application/json"),
        (b'{"a": null}', "application/json"),
        (b'{"a": {"b": "c"}}', "application/json"),
        (b"{", "application/json"),
        (b"a=1", "multipart/form-data; boundary=x"),
        (b"a=" + b"x" * 70_000, FORM),
        (b"[" * 100_000, "application/json"),
    ],
)
def test_malformed_bodies_are_invalid_request(body, content_type):
    with pytest.raises(OAuthError) as error:
        parse(body, content_type)
    assert error.value.error == "invalid_request" and error.value.status_code == 400


def test_invalid_base64_is_invalid_request():
    with pytest.raises(OAuthError) as error:
        parse_parameters("not*base64", content_type=FORM, is_base64_encoded=True, authorization=None)
    assert error.value.error == "invalid_request"


def test_empty_body_gives_no_parameters():
    assert parse_parameters(None, content_type=FORM, is_base64_encoded=False, authorization=None).parameters == {}
