"""The local stack's front (oidc_tools.local.stack.Gateway) as a WSGI application, with a stand-in for the functions:
what it answers when a function fails, how a function's response is put on the wire, what no route takes."""

from __future__ import annotations

import json

from werkzeug.test import Client

from oidc_tools import template
from oidc_tools.local.stack import Gateway


class StandIn:
    """The part of LocalStack the front uses: one route, GET /x, to a function that does what it is told."""

    def __init__(self, response=None, error: Exception | None = None):
        self.template, self.parameters, self.port = template.load(), {}, 3000
        self.response, self.error, self.events = response, error, []

    def route(self, method: str, path: str):
        return ("Fn", "GET /x", {}) if (method, path) == ("GET", "/x") else None

    def invoke(self, logical_id: str, event: dict) -> dict:
        self.events.append(event)
        if self.error:
            raise self.error
        return self.response


def test_a_function_that_raises_gets_api_gateways_500_and_its_trace_on_stderr(capsys):
    answer = Client(Gateway(StandIn(error=RuntimeError("boom")))).get("/x")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    assert answer.get_data() == b'{"message":"Internal Server Error"}'
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_a_functions_response_is_sent_as_it_asked():
    stand_in = StandIn({"statusCode": 302, "headers": {"Location": "https://app.example.com/", "Connection": "x"},
                        "cookies": ["a=1; Secure", "b=2; HttpOnly"], "body": "", "isBase64Encoded": False})
    answer = Client(Gateway(stand_in)).get("/x?q=a%20b", headers={"X-Trace": "t1"})
    assert answer.status_code == 302
    assert answer.headers["location"] == "https://app.example.com/"
    assert answer.headers.getlist("set-cookie") == ["a=1; Secure", "b=2; HttpOnly"]
    assert "content-type" not in answer.headers  # none the function did not set
    assert answer.headers.get("connection") != "x"  # hop-by-hop headers are the server's own
    (event,) = stand_in.events
    assert event["rawQueryString"] == "q=a%20b" and event["queryStringParameters"] == {"q": "a b"}
    assert event["headers"]["x-trace"] == "t1"


def test_a_base64_body_is_decoded_and_head_gets_no_body():
    stand_in = StandIn({"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                        "body": "AAEC", "isBase64Encoded": True})
    client = Client(Gateway(stand_in))
    assert client.get("/x").get_data() == b"\x00\x01\x02"
    head = client.head("/x")
    assert head.status_code == 200 and head.get_data() == b"" and head.headers["content-length"] == "3"
    assert stand_in.events[-1]["requestContext"]["http"]["method"] == "GET"  # HEAD is answered by the GET route


def test_what_no_route_takes_is_404_json():
    answer = Client(Gateway(StandIn())).post("/x", data=b"{}")
    assert answer.status_code == 404 and json.loads(answer.get_data()) == {"message": "Not Found"}
