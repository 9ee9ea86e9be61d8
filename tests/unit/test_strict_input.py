"""Every validator reads the whole string: what follows a valid prefix (a newline above all, which `$` lets through)
makes the input invalid. And the one check of a redirect URI an operator registers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from oidc_core.config import ConfigurationError, load_settings
from oidc_core.errors import OAuthError
from oidc_core.store.clients import checked_redirect_uri
from oidc_core.store.identifiers import normalise
from oidc_core.tokens.scopes import is_api_scope, parse_scope
from oidc_tools import template
from oidc_tools.local.stack import LocalStack

TAILS = ["\n", "\r\n", "\n.", "\x00", " \n", "\u2028"]
PROPERTIES = settings(max_examples=200, derandomize=True, deadline=None, database=None, print_blob=False)


def refuses_scope(scope: str) -> bool:
    try:
        parse_scope(scope)
    except OAuthError as error:
        return error.error == "invalid_scope"
    return False


@pytest.mark.parametrize("tail", ["\n.", "\n-", "\n)", "\r\n.", "\x00", "\n.0"])
def test_a_phone_number_with_a_tail_is_no_phone_number(tail):
    """Surrounding whitespace is trimmed, and the punctuation people write (spaces . - ( )) dropped: a newline left
    inside by them is no digit."""
    assert normalise("phone", "+8613800138000", "+86").value == "+8613800138000"
    assert normalise("phone", "+8613800138000" + tail, "+86").value == ""
    assert normalise("phone", "13800138000" + tail, "+86").value == ""


@pytest.mark.parametrize("tail", TAILS)
def test_a_scope_with_a_tail_is_malformed(tail):
    assert parse_scope("openid profile") == ["openid", "profile"]
    assert refuses_scope("openid" + tail) and refuses_scope("openid " + "orders:read" + tail)


@pytest.mark.parametrize("tail", TAILS)
def test_an_api_scope_with_a_tail_is_no_api_scope(tail):
    assert is_api_scope("orders:read") and not is_api_scope("orders:read" + tail)


@PROPERTIES
@given(scope=st.from_regex(r"[\x21\x23-\x5b\x5d-\x7e]{1,20}", fullmatch=True), tail=st.sampled_from(TAILS))
def test_any_valid_scope_token_with_a_tail_is_refused(scope, tail):
    assert parse_scope(scope) == [scope]
    assert refuses_scope(scope + tail)


@pytest.mark.parametrize("code", ["+86\n", "+1\n", "+٨٦", "+8\u0666"])
def test_the_default_country_code_is_ascii_digits_only(code):
    environment = {"ISSUER": "https://auth.example.test/oidc", "DEFAULT_PHONE_COUNTRY_CODE": "+86"}
    assert load_settings(environment).default_phone_country_code == "+86"
    with pytest.raises(ConfigurationError):
        load_settings({**environment, "DEFAULT_PHONE_COUNTRY_CODE": code})


def test_the_local_gateway_routes_whole_paths_only(monkeypatch):
    monkeypatch.setenv("ISSUER", "https://auth.example.com/oidc")  # the functions read their settings at import
    gateway = LocalStack.__new__(LocalStack)  # its routes alone: no emulator, no server
    gateway.template, gateway.routes, gateway.handlers, gateway.functions = template.load(), [], {}, {}
    gateway._load_functions()
    assert gateway.route("POST", "/oidc/token")[0] == "TokenFunction"
    assert gateway.route("POST", "/oidc/token\n") is None
    assert gateway.route("GET", "/oidc/me/\n") is None


# -- redirect URIs ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("uri, stored", [
    ("https://app.example.com/cb", "https://app.example.com/cb"),
    ("HTTPS://App.Example.COM:8443/cb?x=1&y=%41", "https://app.example.com:8443/cb?x=1&y=%41"),
    ("http://127.0.0.1:8080/callback", "http://127.0.0.1:8080/callback"),
    ("http://[::1]:8080/callback", "http://[::1]:8080/callback"),
    ("http://localhost/signed-out", "http://localhost/signed-out"),
    ("https://xn--fiqs8s.example/", "https://xn--fiqs8s.example/"),
])
def test_a_usable_redirect_uri_is_stored_re_serialised(uri, stored):
    assert checked_redirect_uri(uri) == stored
    assert checked_redirect_uri(stored) == stored


@pytest.mark.parametrize("uri, reason", [
    ("https://app.example.com\\@evil.com/", "backslash"),  # Python's host: app.example.com; a browser's: evil.com
    ("https://app.example.com\\evil", "backslash"),
    ("https://user@app.example.com/", "userinfo"),
    ("https://app.example.com:pass@evil.com/", "userinfo"),
    ("https://app.example.com/cb#frag", "fragment"),
    ("https://app.example.com/cb#", "fragment"),
    ("https://app.example.com/cb\n", "control"),
    ("https://app.example.com/\x00", "control"),
    ("https://app.example.com/\x7f", "control"),
    ("https://app.example.com/\x85", "control"),
    ("https://app.example.com/a b", "whitespace"),
    ("https://app.example.com/\u2028", "whitespace"),
    ("https://app.example.com\t/", "control"),
    ("https://app.example.com/\u202e", "non-ASCII"),
    ("https://app.ex\u200bample.com/", "non-ASCII"),
    ("https://app.example.com/<script>", "RFC 3986"),
    ("https://app.example.com/%zz", "RFC 3986"),
    ("http://app.example.com/cb", "https"),
    ("http://127.0.0.1.nip.io/cb", "https"),
    ("http://localhost.evil.com/cb", "https"),
    ("javascript:alert(1)", "host"),
    ("https:///cb", "host"),
    ("https://-bad-.example/", "host"),
    ("https://[::1/", "host"),
    ("https://app.example.com:99999/", "port"),
    ("//app.example.com/cb", "https"),
    ("", "empty"),
    ("https://app.example.com/" + "a" * 2000, "longer"),
])
def test_a_redirect_uri_a_browser_might_read_otherwise_is_refused_with_the_reason(uri, reason):
    with pytest.raises(ValueError) as refused:
        checked_redirect_uri(uri)
    assert reason in str(refused.value)
