"""A browser for tests that talk to the authorization endpoint without a real one: cookies kept per origin as a
browser keeps them, forms read from the page, redirects read rather than followed. Over the in-process handlers
(`HandlerBrowser`) or over HTTP against a local stack (`HttpBrowser`)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from oidc_tools.local.lambda_events import LambdaContext, http_api_event, response_body

FORM = "application/x-www-form-urlencoded"
ROUTES = {"/oidc/auth": "AuthorizeFunction", "/oidc/login": "AuthorizeFunction", "/oidc/consent": "AuthorizeFunction",
          "/oidc/token": "TokenFunction", "/oidc/session/end": "SessionFunction", "/oidc/me": "SessionFunction"}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class Page:
    def __init__(self, status: int, headers: dict[str, str], text: str, set_cookies: list[str]):
        self.status, self.headers, self.text, self.set_cookies = status, headers, text, set_cookies

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    def callback(self) -> dict[str, str]:
        """The authorization response the client receives, whatever the response mode."""
        if self.location:
            parts = urlsplit(self.location)
            return dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))
        return self.hidden_fields()

    def hidden_fields(self) -> dict[str, str]:
        return {html.unescape(name): html.unescape(value) for name, value in
                re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', self.text)}

    def cookie(self, name: str) -> str | None:
        for header in self.set_cookies:
            if header.split("=", 1)[0] == name:
                return header
        return None

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.location or self.text[:300]}>"


class HandlerBrowser:
    """Calls the functions' handlers with the events API Gateway would send."""

    def __init__(self, handlers: dict, accept_language: str = "en", source_ip: str = "198.51.100.7"):
        self.handlers, self.accept_language, self.source_ip = handlers, accept_language, source_ip
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, query: str = "", form: dict | None = None,
                headers: dict | None = None) -> Page:
        sent = {"accept-language": self.accept_language, **(headers or {})}
        if self.cookies:
            sent["cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            sent["content-type"] = FORM
        event = http_api_event(method, path, route_key=f"{method} {path}", query=query, headers=list(sent.items()),
                               body=body, source_ip=self.source_ip)
        function = ROUTES[path]
        response = self.handlers[function](event, LambdaContext(function))
        set_cookies = list(response.get("cookies") or [])
        self._keep(set_cookies)
        return Page(response["statusCode"], {name.lower(): value for name, value in response["headers"].items()},
                    response_body(response).decode(), set_cookies)

    def _keep(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            pair, *attributes = [part.strip() for part in header.split(";")]
            name, _, value = pair.partition("=")
            if any(attribute.lower() == "max-age=0" for attribute in attributes):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def authorize(self, **parameters) -> Page:
        return self.request("GET", "/oidc/auth", query=urlencode(parameters))

    def submit(self, page: Page, path: str, **fields) -> Page:
        return self.request("POST", path, form={**page.hidden_fields(), **fields})

    def follow(self, page: Page, posted_to: str = "/oidc/login") -> Page:
        """A GET of what a See Other names, resolved against the URL that was posted to, as a browser does."""
        target = urlsplit(urljoin(posted_to, page.location))
        return self.request("GET", target.path, query=target.query)

    def login(self, page: Page, identifier: str, password: str) -> Page:
        return self.submit(page, "/oidc/login", identifier=identifier, password=password)

    def token(self, form: dict, headers: dict | None = None) -> Page:
        return self.request("POST", "/oidc/token", form=form, headers=headers)


class HttpBrowser(HandlerBrowser):
    """The same, over HTTP against a running stack (requests keeps the cookies per domain and path)."""

    def __init__(self, base: str, accept_language: str = "en"):
        import requests

        self.base, self.accept_language = base, accept_language
        self.session = requests.Session()

    @property
    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value for cookie in self.session.cookies}

    def request(self, method: str, path: str, *, query: str = "", form: dict | None = None,
                headers: dict | None = None) -> Page:
        url = self.base + path + (f"?{query}" if query else "")
        response = self.session.request(method, url, data=form, allow_redirects=False, timeout=60,
                                        headers={"accept-language": self.accept_language, **(headers or {})})
        set_cookies = response.raw.headers.getlist("set-cookie") if response.raw is not None else []
        return Page(response.status_code, {name.lower(): value for name, value in response.headers.items()},
                    response.text, set_cookies)


ROOT = Path(__file__).resolve().parents[1]


def run_admin(stack, *arguments: str) -> dict:
    """`oidc-admin --local --port N …`, as an operator runs it; its JSON answer."""
    result = subprocess.run([sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(stack.port),
                             *arguments], capture_output=True, text=True, cwd=ROOT, timeout=120,
                            input="", env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def create_user(stack, username: str, password: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "oidc_tools.admin", "--local", "--port", str(stack.port), "user",
                             "create", "--username", username, "--email", f"{username}@example.com",
                             "--name", username.title(), "--password-stdin"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120, input=password)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
