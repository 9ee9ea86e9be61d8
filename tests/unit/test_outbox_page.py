"""The local outbox's pieces that need no stack: it is the local stack's alone (template.yaml routes nothing under
/_local/), its page escapes what it shows, and it answers only its own paths."""

from __future__ import annotations

from oidc_tools import template
from oidc_tools.local import outbox


def test_no_deployed_route_is_under_the_local_prefix():
    routes = [path for function in template.functions(template.load()).values() for _, path in function.routes]
    assert routes and not [path for path in routes if path.startswith("/_local")]


def test_the_page_escapes_every_field_and_counts_the_messages():
    page = outbox.render_page([
        {"channel": "email", "to": "a&b@example.com", "subject": "<i>hi</i>", "text": "</pre><script>x()</script>",
         "sent_at": 0},
        {"channel": "sms", "to": "+8613800138000", "subject": None, "text": "【Acme】 123456", "sent_at": 86400}])
    assert "<script>" not in page and "<i>" not in page
    assert "a&amp;b@example.com" in page and "&lt;i&gt;hi&lt;/i&gt;" in page
    assert "&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;" in page and "【Acme】 123456" in page
    assert "2 messages, newest first" in page and "1970-01-02 00:00:00" in page
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page and "<title>" in page


def test_an_empty_outbox_says_so():
    assert "Nothing has been sent yet." in outbox.render_page([])


def test_the_outbox_answers_its_own_paths_only():
    assert outbox.answer("GET", "/oidc/token") is None and outbox.answer("GET", "/_localx") is None
    status, headers, body = outbox.answer("GET", "/_local/outbox")
    assert status == 200 and body.startswith(b'{"messages":[') and ("cache-control", "no-store") in headers
    assert outbox.answer("HEAD", "/_local/outbox.html")[0] == 200
    assert outbox.answer("PUT", "/_local/outbox")[0] == 404 and outbox.answer("GET", "/_local/outbox.json")[0] == 404
