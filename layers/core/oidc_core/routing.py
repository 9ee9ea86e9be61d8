"""The functions' router: an HTTP API event (payload format 2.0) to the handler of its method and path, and the
handler's Response to the answer Lambda gives API Gateway.

Powertools' APIGatewayHttpResolver did this, but importing its event handler loads every resolver it has (AppSync,
Bedrock agents, VPC Lattice, OpenAPI, asyncio) and every event data class: about a fifth of a TokenFunction cold
start for the few lines of routing the functions use (docs/performance.md). What is kept is exactly what they use:
exact routes by method, the event's fields, exception handlers by class, and the 2.0 response format.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Response:
    """What a route answers: the body as text (bytes are sent base64-encoded), Content-Type apart from the headers."""

    status_code: int
    body: str | bytes = ""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)  # Set-Cookie values (payload 2.0 sends them apart)

    def to_lambda(self) -> dict:
        headers = dict(self.headers)
        if self.content_type:
            headers.setdefault("Content-Type", self.content_type)
        body, encoded = self.body, isinstance(self.body, bytes)
        if encoded:
            body = base64.b64encode(body).decode("ascii")
        return {"statusCode": self.status_code, "body": body, "isBase64Encoded": encoded, "headers": headers,
                "cookies": list(self.cookies)}


class HttpEvent:
    """The fields of an HTTP API 2.0 event the functions read. API Gateway sends header names in lower case; they are
    lowered here again so that a hand-made event (a test, `make invoke`) reads the same."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.headers: dict[str, str] = {str(name).lower(): value for name, value in (raw.get("headers") or {}).items()}

    @property
    def body(self) -> str | None:
        return self.raw.get("body")

    @property
    def is_base64_encoded(self) -> bool:
        return bool(self.raw.get("isBase64Encoded"))

    @property
    def query_string_parameters(self) -> dict | None:
        return self.raw.get("queryStringParameters")

    @property
    def cookies(self) -> dict[str, str]:
        """Request cookies by name (payload 2.0 lists them apart from the headers; a hand-made event may send the
        header instead). A name sent twice counts as absent: the second one was planted by a sibling subdomain or a
        plain-http answer (the browser sends both, in no order a server can trust), and taking either would let it
        pin the browser to the planter's session."""
        pairs = self.raw.get("cookies") or (self.headers.get("cookie") or "").split(";")
        found: dict[str, str] = {}
        repeated: set[str] = set()
        for pair in pairs:
            name, equals, value = pair.strip().partition("=")
            if not equals:
                continue
            if name in found:
                repeated.add(name)
            found[name] = value
        return {name: value for name, value in found.items() if name not in repeated}

    @property
    def raw_query_string(self) -> str:
        return self.raw.get("rawQueryString") or ""

    @property
    def http_method(self) -> str:
        return self.raw["requestContext"]["http"]["method"].upper()

    @property
    def path(self) -> str:
        return self.raw.get("rawPath") or self.raw["requestContext"]["http"]["path"]

    @property
    def source_ip(self) -> str:
        return self.raw["requestContext"]["http"]["sourceIp"]


NOT_FOUND = Response(404, json.dumps({"statusCode": 404, "message": "Not found"}), "application/json",
                     {"X-Content-Type-Options": "nosniff"})


Handler = Callable[[HttpEvent], Response]


class Router:
    """Routes by (method, path), exactly as template.yaml declares them (API Gateway only sends those): one table
    per function, `{(method, path): handler}`, each handler taking the event."""

    def __init__(self, routes: dict[tuple[str, str], Handler] | None = None):
        self._routes: dict[tuple[str, str], Handler] = {(method.upper(), path): handler
                                                          for (method, path), handler in (routes or {}).items()}
        self._exception_handlers: dict[type, Callable[[Exception], Response]] = {}
        self.current_event: HttpEvent | None = None
        self.lambda_context: Any = None

    @property
    def routes(self) -> set[tuple[str, str]]:
        return set(self._routes)

    def exception_handler(self, exception_type: type) -> Callable:
        def register(handler: Callable[[Exception], Response]) -> Callable[[Exception], Response]:
            self._exception_handlers[exception_type] = handler
            return handler
        return register

    def _handler_of(self, error: Exception) -> Callable[[Exception], Response] | None:
        for exception_type in type(error).__mro__:  # the most specific registered class wins
            if exception_type in self._exception_handlers:
                return self._exception_handlers[exception_type]
        return None

    def resolve(self, event: dict, context: Any) -> dict:
        self.current_event, self.lambda_context = HttpEvent(event), context
        route = self._routes.get((self.current_event.http_method, self.current_event.path))
        if route is None:
            return NOT_FOUND.to_lambda()
        try:
            response = route(self.current_event)
        except Exception as error:
            handler = self._handler_of(error)
            if handler is None:
                raise
            response = handler(error)
        return response.to_lambda()
