"""Scope parsing and checking (RFC 6749 §3.3).

Two kinds of scope: the OpenID Connect scopes this service knows (they describe a user: openid, profile, …), and API
scopes an operator registers for a client, written `resource:action` as Authing writes them (orders:read). A user
grant may ask for either kind, as far as the client is allowed; client_credentials only ever grants API scopes.
"""

from __future__ import annotations

import re

from oidc_core.errors import invalid_scope

KNOWN_SCOPES = ("openid", "profile", "email", "address", "phone", "offline_access")
DEFAULT_SCOPE = "openid profile"

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
# Both fullmatch: `$` would also match before a trailing newline.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# What an error_description may name back: a scope of these characters reads as text wherever the description is
# shown (a JSON answer, a redirect, a developer's page); anything else is not echoed at all
_ECHOABLE_SCOPE = re.compile(r"[A-Za-z0-9_.:/-]{1,64}")
_API_SCOPE = re.compile(r"[\x21\x23-\x39\x3b-\x5b\x5d-\x7e]+:[\x21\x23-\x5b\x5d-\x7e]+")


def is_api_scope(scope: str) -> bool:
    return bool(_API_SCOPE.fullmatch(scope))


def parse_scope(scope_parameter: str | None) -> list[str]:
    """The scope tokens in request order without repeats; invalid_scope for a malformed one."""
    scopes = list(dict.fromkeys(token for token in (scope_parameter or "").split(" ") if token))
    if not all(_SCOPE_TOKEN.fullmatch(scope) for scope in scopes):
        raise invalid_scope("malformed scope")
    return scopes


def requested_scopes(scope_parameter: str | None, allowed: frozenset[str]) -> list[str]:
    """The scopes to grant a user grant (default openid profile); invalid_scope if any is unknown or not allowed."""
    scopes = parse_scope(scope_parameter) or DEFAULT_SCOPE.split()
    for scope in scopes:
        if scope not in allowed:
            if scope in KNOWN_SCOPES:
                raise invalid_scope(f"scope not allowed for this client: {scope}")
            if _ECHOABLE_SCOPE.fullmatch(scope):
                raise invalid_scope(f"unknown scope: {scope}")
            raise invalid_scope("unknown scope")
    return scopes
