"""Fixtures of the browser sign-in tests: one local stack for the whole run (the `running_stack` of tests/conftest.py),
Debian's headless Chromium driven by Selenium (one per module: starting it costs a second or two), oidc-admin against
the stack as an operator runs it, a loopback server that receives the authorization responses, and the stack's
emulated tables for the tests that move the clock (the stack's clock cannot be moved, its items' times can)."""

from __future__ import annotations

import html
import os
import queue
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def driver():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Debian's chromium and chromium-driver are missing: run `make browser-deps` (as root)",
                    pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP violations are logged to the console
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=900,800", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


@pytest.fixture(scope="session")
def node():
    """node with the pinned openid-client 6 (make interop-deps)."""
    import shutil

    package = ROOT / "tests" / "interop" / "node_modules" / "openid-client-6" / "package.json"
    if shutil.which("node") is None or not package.is_file():
        if os.environ.get("SKIP_INTEROP") == "1":
            pytest.skip("node or openid-client 6 missing (SKIP_INTEROP=1)")
        pytest.fail("node or openid-client 6 missing: run `make interop-deps`", pytrace=False)
    return shutil.which("node")


@pytest.fixture(scope="session")
def tokens_table(running_stack):
    """The stack's emulated tokens table, for tests that move a login or a code back in time."""
    state = running_stack.state
    dynamodb = boto3.resource("dynamodb", endpoint_url=state["endpoint_url"], region_name=state["region"],
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    return dynamodb.Table(state["target"]["tokens_table"])


class Catcher:
    """A loopback redirect URI (RFC 8252 §7.3): records each request's path and query, answers a short page."""

    def __init__(self):
        self.requests: queue.Queue[str] = queue.Queue()
        self.posts: queue.Queue[str] = queue.Queue()  # form_post bodies
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/callback"):  # not the browser's /favicon.ico
                    catcher.requests.put(self.path)
                body = b"<!doctype html><title>signed in</title><p>signed in"
                if self.path.startswith("/frame?"):  # a page of another origin that tries to frame ours
                    target = html.escape(urllib.parse.unquote(self.path.partition("?")[2]))
                    body = f'<!doctype html><title>framing</title><iframe src="{target}"></iframe>'.encode()
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                catcher.posts.put(self.rfile.read(length).decode())
                self.do_GET()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.redirect_uri = f"http://127.0.0.1:{self.port}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 60) -> str:
        return f"http://127.0.0.1:{self.port}" + self.requests.get(timeout=timeout)


@pytest.fixture(scope="module")
def catcher():
    caught = Catcher()
    yield caught
    caught.server.shutdown()
