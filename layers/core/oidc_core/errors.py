"""OAuth error responses (RFC 6749 §5.2) as exceptions, so any layer can stop a request with the right answer."""

from __future__ import annotations

import re

MAX_DESCRIPTION_LENGTH = 200
# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ): no quote, no backslash, nothing beyond ASCII.
_OUTSIDE_DESCRIPTION_CHARACTERS = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def error_description(text: str) -> str:
    """Text fit to be an error_description wherever it is shown (a JSON answer, an HTML page that echoes it, a
    WWW-Authenticate quoted string): RFC 6749's characters only, bounded."""
    return _OUTSIDE_DESCRIPTION_CHARACTERS.sub("?", text)[:MAX_DESCRIPTION_LENGTH]


class OAuthError(Exception):
    """An error the client is told about: `{"error": ..., "error_description": ...}` with an HTTP status."""

    status_code = 400

    def __init__(self, error: str, description: str, *, status_code: int | None = None, headers: dict | None = None):
        description = error_description(description)
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_scope(description: str) -> OAuthError:
    return OAuthError("invalid_scope", description)


def invalid_client(*, basic_auth_used: bool) -> OAuthError:
    # RFC 6749 §5.2: 401, and a WWW-Authenticate challenge matching the scheme the client tried.
    headers = {"WWW-Authenticate": 'Basic realm="oidc", charset="UTF-8"'} if basic_auth_used else {}
    return OAuthError("invalid_client", "client authentication failed", status_code=401, headers=headers)


def invalid_credentials() -> OAuthError:
    # One answer for every credential failure, word for word Authing's, so nothing tells a caller which part was wrong.
    return OAuthError("invalid_grant", "invalid credentials provided")


class DependencyUnavailable(OAuthError):
    """DynamoDB, Secrets Manager or KMS failed or is not set up: 503 and a hint to retry."""

    RETRY_AFTER_SECONDS = 5

    def __init__(self, dependency: str):
        super().__init__(
            "temporarily_unavailable",
            "the service is temporarily unavailable, retry later",
            status_code=503,
            headers={"Retry-After": str(self.RETRY_AFTER_SECONDS)},
        )
        self.dependency = dependency


def bearer_error(error: str | None, description: str, status_code: int = 401) -> OAuthError:
    """A protected resource's answer (RFC 6750 §3): the challenge names the error, except when no token was sent."""
    challenge = 'Bearer realm="oidc"'
    if error:
        challenge += f', error="{error}", error_description="{error_description(description)}"'
    return OAuthError(error or "invalid_token", description, status_code=status_code,
                      headers={"WWW-Authenticate": challenge})
