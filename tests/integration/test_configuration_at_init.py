"""A misconfigured function fails its init, as Lambda reports an init error, with the one ConfigurationError that
names the variable; it never gets as far as answering each request with 500 server_error."""

from __future__ import annotations

import pytest

from helpers import ISSUER
from oidc_core import config
from oidc_tools import template
from oidc_tools.local.stack import load_handler

FUNCTIONS = sorted(template.functions(template.load()))


@pytest.fixture
def fresh_settings():
    config.settings.cache_clear()  # a new container: nothing read yet
    yield
    config.settings.cache_clear()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_bad_setting_fails_the_init(function, monkeypatch, fresh_settings):
    monkeypatch.setenv("ISSUER", ISSUER)
    monkeypatch.setenv("IP_FAILURE_THRESHOLD", "abc")
    with pytest.raises(config.ConfigurationError, match=r"^IP_FAILURE_THRESHOLD must be an integer, got 'abc'$"):
        load_handler(template.functions(template.load())[function])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_good_configuration_inits(function, monkeypatch, fresh_settings):
    monkeypatch.setenv("ISSUER", ISSUER)
    monkeypatch.setenv("IP_FAILURE_THRESHOLD", "7")
    assert callable(load_handler(template.functions(template.load())[function]))
