"""Each function answers exactly the routes template.yaml gives it, through one route table (issue 24 point 3): a
route added to the template without a handler, or a handler without its route, fails here before any request."""

from __future__ import annotations

import inspect

import pytest

from helpers import ISSUER
from oidc_core import config
from oidc_tools import template
from oidc_tools.local_stack import load_handler

FUNCTIONS = {name: function for name, function in template.functions(template.load()).items() if function.routes}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_the_route_table_is_the_templates(name, monkeypatch):
    monkeypatch.setenv("ISSUER", ISSUER)
    try:
        handler = load_handler(FUNCTIONS[name])
    finally:
        config.settings.cache_clear()
    app = inspect.unwrap(handler).__globals__["app"]  # beneath Powertools' decorators, the function's module
    assert app.routes == set(FUNCTIONS[name].routes)
