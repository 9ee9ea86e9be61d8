"""The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), read and checked.

The order of the checks is what keeps the endpoint from being an open redirect (RFC 9700 §4.11): the client and its
redirect URI come first (the endpoint does that), compared exactly with a registered one (RFC 9700 §2.1; only the
port of a loopback URI may differ, RFC 8252 §7.3). Everything after is checked here, in the order the errors are
reported, and goes back to the client's redirect URI (AuthorizationError).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, urlsplit

from oidc_core.config import Settings
from oidc_core.errors import OAuthError
from oidc_core.observability import logger
from oidc_core.pages.browser import BrowserRequest
from oidc_core.store.clients import LOCAL_HTTP_HOSTS, Client
from oidc_core.parameters import parse_parameters
from oidc_core.tokens import access_tokens
from oidc_core.tokens.access_tokens import InvalidToken
from oidc_core.tokens.scopes import requested_scopes

RESPONSE_MODES = ("query", "fragment", "form_post")
PROMPTS = ("none", "login", "consent", "select_account")
MAX_PARAMETER_LENGTH = 8192  # a state of several KB passes (clients keep data in it); nothing needs more
MAX_QUERY_LENGTH = 64 * 1024
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # BASE64URL(SHA256(verifier)): 43 characters, RFC 7636 §4.2


class AuthorizationError(Exception):
    """An error the client hears about at its redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, error: str, description: str):
        super().__init__(error)
        self.error, self.description = error, description


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated authorization request: what a code will be bound to, and how to answer."""

    client_id: str
    redirect_uri: str
    response_mode: str
    state: str | None
    scopes: list[str]
    nonce: str | None
    code_challenge: str | None
    prompt: list[str] = field(default_factory=list)
    max_age: int | None = None
    login_hint: str = ""
    locale: str = "en"
    hint_sub: str | None = None

    @property
    def stored(self) -> dict:
        return asdict(self)

    @property
    def at_a_loopback_address(self) -> bool:
        """The redirect URI is on this machine: http on a loopback IP or localhost (the only http URIs accepted)."""
        parts = urlsplit(self.redirect_uri)
        return parts.scheme == "http" and parts.hostname in LOCAL_HTTP_HOSTS


def parameters_of(browser: BrowserRequest) -> dict[str, str]:
    """The request's parameters, from the query (GET) or the form (POST); a repeated one is refused (RFC 6749 §3.1)."""
    if browser.method == "POST":
        return form_of(browser)
    if len(browser.query) > MAX_QUERY_LENGTH:
        raise OAuthError("invalid_request", "request too large")
    try:
        pairs = parse_qsl(browser.query, keep_blank_values=True, errors="strict", max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "malformed query string") from None
    parameters: dict[str, str] = {}
    for name, value in pairs:
        if name in parameters:
            raise OAuthError("invalid_request", "a parameter was sent more than once")
        parameters[name] = value
    return parameters


def form_of(browser: BrowserRequest) -> dict[str, str]:
    return parse_parameters(browser.body, content_type=browser.content_type,
                               is_base64_encoded=browser.is_base64_encoded, authorization=None).parameters


def _echoable(state: str | None) -> str | None:
    """The state to send back with an early error: a state too long to accept is not echoed either."""
    return state if state and len(state) <= MAX_PARAMETER_LENGTH else None


def fallback(parameters: dict[str, str], client: Client, redirect_uri: str, locale: str) -> AuthorizationRequest:
    """Where to send an error about a request that is not valid yet: the checked redirect URI, in the response mode
    asked for if it is one, with the state if it was acceptable."""
    response_mode = parameters.get("response_mode") or "query"
    return AuthorizationRequest(client_id=client.client_id, redirect_uri=redirect_uri,
                                response_mode=response_mode if response_mode in RESPONSE_MODES else "query",
                                state=_echoable(parameters.get("state")), scopes=[], nonce=None,
                                code_challenge=None, locale=locale)


def _basics(parameters: dict[str, str], client: Client) -> None:
    if (parameters.get("response_mode") or "query") not in RESPONSE_MODES:
        raise AuthorizationError("invalid_request", "response_mode must be query, fragment or form_post")
    if any(len(value) > MAX_PARAMETER_LENGTH for value in parameters.values()):
        raise AuthorizationError("invalid_request", "a parameter is too long")  # its name is input too: not echoed
    if "request" in parameters:
        raise AuthorizationError("request_not_supported", "request objects are not supported")
    if "request_uri" in parameters:
        raise AuthorizationError("request_uri_not_supported", "request_uri is not supported")
    response_type = parameters.get("response_type")
    if not response_type:
        raise AuthorizationError("invalid_request", "missing parameter: response_type")
    if response_type != "code":
        raise AuthorizationError("unsupported_response_type", "only response_type=code is supported")
    if "authorization_code" not in client.grant_types:
        raise AuthorizationError("unauthorized_client", "this client may not use the authorization code flow")


def _scopes(parameters: dict[str, str], client: Client) -> list[str]:
    try:
        return requested_scopes(parameters.get("scope"), client.allowed_scopes)
    except OAuthError as error:
        raise AuthorizationError(error.error, error.description) from None


def _code_challenge(parameters: dict[str, str], client: Client) -> str | None:
    challenge, method = parameters.get("code_challenge") or None, parameters.get("code_challenge_method") or None
    if challenge is None and method is not None:
        raise AuthorizationError("invalid_request", "code_challenge_method without code_challenge")
    if challenge is not None:
        if method != "S256":  # absent means plain (RFC 7636 §4.3), which RFC 9700 §2.1.1 advises against
            raise AuthorizationError("invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.fullmatch(challenge):
            raise AuthorizationError("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)")
    elif client.is_public or client.require_pkce:
        raise AuthorizationError("invalid_request", "this client must use PKCE (code_challenge with S256)")
    return challenge


def _prompt_and_max_age(parameters: dict[str, str]) -> tuple[list[str], int | None]:
    prompt = (parameters.get("prompt") or "").split()
    if any(value not in PROMPTS for value in prompt):
        raise AuthorizationError("invalid_request", f"prompt must be among {', '.join(PROMPTS)}")
    if "none" in prompt and len(prompt) > 1:
        raise AuthorizationError("invalid_request", "prompt=none cannot be combined with other values")
    max_age = parameters.get("max_age")
    if max_age is None or max_age == "":
        return prompt, None
    if not re.fullmatch(r"[0-9]{1,10}", max_age):
        raise AuthorizationError("invalid_request", "max_age must be a number of seconds")
    return prompt, int(max_age)


def _hinted_sub(parameters: dict[str, str], settings: Settings) -> str | None:
    if not parameters.get("id_token_hint"):
        return None
    try:
        return access_tokens.id_token_hint_claims(parameters["id_token_hint"], settings)["sub"]
    except InvalidToken as invalid:
        logger.info("id_token_hint refused", extra={"reason": invalid.reason})
        raise AuthorizationError("invalid_request", "id_token_hint is not an id_token issued here") from None


def validated(parameters: dict[str, str], client: Client, redirect_uri: str, locale: str,
              settings: Settings) -> AuthorizationRequest:
    """Everything after the client and the redirect URI, in the order the errors are reported."""
    _basics(parameters, client)
    scopes = _scopes(parameters, client)
    challenge = _code_challenge(parameters, client)
    prompt, max_age = _prompt_and_max_age(parameters)
    return AuthorizationRequest(
        client_id=client.client_id, redirect_uri=redirect_uri,
        response_mode=parameters.get("response_mode") or "query", state=parameters.get("state") or None,
        scopes=scopes, nonce=parameters.get("nonce") or None, code_challenge=challenge, prompt=prompt,
        max_age=max_age, login_hint=parameters.get("login_hint") or "", locale=locale,
        hint_sub=_hinted_sub(parameters, settings),
    )
