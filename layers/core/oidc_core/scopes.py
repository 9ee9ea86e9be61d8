"""Scope parsing and checking (RFC 6749 §3.3) against the scopes this service knows and a client may use."""

from __future__ import annotations

import re

from oidc_core.errors import invalid_scope

KNOWN_SCOPES = ("openid", "profile", "email", "address", "phone", "offline_access")
DEFAULT_SCOPE = "openid profile"

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")


def requested_scopes(scope_parameter: str | None, allowed: frozenset[str]) -> list[str]:
    """The scopes to grant, in request order without repeats; invalid_scope if any is unknown or not allowed."""
    tokens = (scope_parameter or DEFAULT_SCOPE).split(" ")
    scopes = list(dict.fromkeys(token for token in tokens if token))
    if not scopes:
        scopes = DEFAULT_SCOPE.split()
    for scope in scopes:
        if not _SCOPE_TOKEN.match(scope) or scope not in KNOWN_SCOPES:
            raise invalid_scope(f"unknown scope: {scope[:64]}" if _SCOPE_TOKEN.match(scope) else "malformed scope")
        if scope not in allowed:
            raise invalid_scope(f"scope not allowed for this client: {scope}")
    return scopes
