"""Which redirect URIs a client may register (RFC 9700 §2.1, RFC 8252 §7.3 and §8.3) and how a requested one is
compared with them: exactly, except the port of a loopback one."""

from __future__ import annotations

import pytest

from oidc_core.store.clients import LOOPBACK_IPS, checked_redirect_uri, redirect_uri_matches


@pytest.mark.parametrize("uri", ["https://app.example.com/callback", "https://app.example.com:8443/cb?tenant=a",
                                 "http://127.0.0.1/callback", "http://127.0.0.1:53000/cb", "http://[::1]/cb"])
def test_https_and_loopback_http_are_accepted_as_given(uri):
    assert checked_redirect_uri(uri, http_hosts=LOOPBACK_IPS) == uri


@pytest.mark.parametrize("uri", [
    "", "http://app.example.com/cb", "ftp://app.example.com/cb", "https:///cb", "https://app.example.com/cb#frag",
    "https://user:pw@app.example.com/cb", "https://app.example.com/a b", "https://app.example.com/a\tb",
    "https://app.example.com/a\\b", "https://app.example.com/\x00", "https://app.example.com/\x7f",
    "https://app.example.com/é", "http://localhost/cb", "https://app.example.com:port/cb", "javascript:alert(1)",
    "https://app.example.com/" + "a" * 2000,
])
def test_anything_else_is_refused(uri):
    with pytest.raises(ValueError):
        checked_redirect_uri(uri, http_hosts=LOOPBACK_IPS)  # an authorization redirect URI's


@pytest.mark.parametrize("requested, registered, matches", [
    ("https://app.example.com/cb", "https://app.example.com/cb", True),
    ("https://app.example.com/cb/", "https://app.example.com/cb", False),
    ("https://APP.example.com/cb", "https://app.example.com/cb", False),
    ("https://app.example.com:443/cb", "https://app.example.com/cb", False),
    ("https://app.example.com/cb?x=1", "https://app.example.com/cb", False),
    ("https://app.example.com.evil.test/cb", "https://app.example.com/cb", False),
    ("http://127.0.0.1:50123/cb", "http://127.0.0.1/cb", True),
    ("http://127.0.0.1:50123/cb", "http://127.0.0.1:8080/cb", True),
    ("http://[::1]:50123/cb", "http://[::1]/cb", True),
    ("http://127.0.0.1:50123/other", "http://127.0.0.1/cb", False),
    ("http://[::1]:50123/cb", "http://127.0.0.1/cb", False),
    ("https://127.0.0.1:50123/cb", "https://127.0.0.1/cb", False),  # the port rule is for loopback http only
    ("http://localhost:50123/cb", "http://localhost/cb", False),
    ("http://x@127.0.0.1:50123/cb", "http://127.0.0.1/cb", False),
    ("http://127.0.0.1:50123/cb#f", "http://127.0.0.1/cb", False),
    ("http://127.0.0.1:5x/cb", "http://127.0.0.1/cb", False),
])
def test_a_requested_uri_matches_exactly_but_for_a_loopback_port(requested, registered, matches):
    assert redirect_uri_matches(requested, registered) is matches
