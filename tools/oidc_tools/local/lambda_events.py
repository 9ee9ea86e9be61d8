"""HTTP API payload format 2.0 events and Lambda contexts, built the way API Gateway and the runtime build them."""

from __future__ import annotations

import base64
import time
import uuid
from urllib.parse import unquote_plus
from dataclasses import dataclass, field

# API Gateway HTTP APIs pass these bodies as text; every other body (a form post included) arrives base64-encoded.
_TEXT_MEDIA_TYPES = ("application/json", "application/javascript", "application/xml")


def _is_text(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_MEDIA_TYPES or media_type.endswith("+json")


def http_api_event(
    method: str,
    path: str,
    *,
    route_key: str,
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    source_ip: str = "127.0.0.1",
    domain_name: str = "127.0.0.1",
    path_parameters: dict | None = None,
) -> dict:
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers or []:
        name = name.lower()
        if name == "cookie":
            cookies += [cookie.strip() for cookie in value.split(";") if cookie.strip()]
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value  # repeated headers are comma-joined

    query_parameters: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        name, _, value = (unquote_plus(part) for part in pair.partition("="))  # API Gateway decodes them, + too
        query_parameters[name] = f"{query_parameters[name]},{value}" if name in query_parameters else value

    is_base64 = bool(body) and not _is_text(joined.get("content-type", ""))
    now = time.time()
    event = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query_parameters:
        event["queryStringParameters"] = query_parameters
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = base64.b64encode(body).decode("ascii") if is_base64 else body.decode("utf-8", "replace")
    return event


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    timeout_seconds: int = 10
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def response_body(response: dict) -> bytes:
    body = response.get("body") or ""
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode("utf-8")
