"""Configuration, parsed once per container from the environment that template.yaml sets."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass


class ConfigurationError(Exception):
    """The deployment is misconfigured; the function cannot serve any request."""


@dataclass(frozen=True)
class Argon2Parameters:
    memory_kib: int
    iterations: int
    lanes: int

    def weaker_than(self, other: Argon2Parameters) -> bool:
        return self.memory_kib < other.memory_kib or self.iterations < other.iterations or self.lanes < other.lanes

    def exceeds(self, ceiling: Argon2Parameters) -> bool:
        return self.memory_kib > ceiling.memory_kib or self.iterations > ceiling.iterations or self.lanes > ceiling.lanes

    def times(self, factor: int) -> Argon2Parameters:
        return Argon2Parameters(self.memory_kib * factor, self.iterations * factor, self.lanes * factor)


# OWASP Password Storage Cheat Sheet, Argon2id: m=19 MiB, t=2, p=1 is the minimum; we never go below it.
OWASP_MINIMUM_ARGON2 = Argon2Parameters(memory_kib=19456, iterations=2, lanes=1)

# The most one stored hash's verification may cost, in milliseconds of one core, whatever its scheme
# (passwords/imported.py turns each scheme's work into it). Every failed login is padded to a floor above it.
WORK_CEILING_MS = 400
# How long every failed password check takes at least (login/attempt_guard.py, docs/security.md): 2.5 × the ceiling, so
# that a check at the ceiling stays under it on a core shared with other work (a bench on a busy 2-core machine
# measured bcrypt 12, 325 ms alone, at up to 1 s of wall time).
FAILED_LOGIN_FLOOR_MS = 1000

# The Cache-Control max-age DiscoveryFunction sends with the JWKS, discovery and /api/v3/system.
JWKS_MAX_AGE_SECONDS = 300

# RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
MAX_AUTHORIZATION_CODE_TTL = 600


def signing_activation_seconds(key_cache_seconds: int) -> int:
    """How long a new signing key is published before it signs: our own cache of the JWKS (KEY_CACHE_SECONDS),
    the max-age clients may keep it (JWKS_MAX_AGE_SECONDS), and slack for clocks and the rotation's steps. The one
    place this is decided: the functions' settings and the tools' provisioning both ask here."""
    return key_cache_seconds + JWKS_MAX_AGE_SECONDS + 60


# sm-crypto's cipherMode 1 (its default) and 0; the names say the order of the ciphertext parts.
SM2_CIPHER_MODES = ("c1c3c2", "c1c2c3")


@dataclass(frozen=True)
class LockoutPolicy:
    pair_threshold: int  # failures per (account, source IP) before that pair locks
    user_threshold: int  # failures per account from anywhere before the account locks
    base_wait_seconds: int  # the first lock; each further failure doubles it
    max_wait_seconds: int
    visible: bool  # answer a locked attempt as such (with Retry-After) instead of exactly like a wrong password
    ip_failure_threshold: int  # failures of any kind per source IP in the window before 429
    ip_window_seconds: int
    trusted_proxy_hops: int  # proxies in front of API Gateway whose X-Forwarded-For entries are believed


@dataclass(frozen=True)
class Settings:
    issuer: str
    users_table: str
    clients_table: str
    tokens_table: str
    signing_key_secret_id: str
    public_keys_secret_id: str
    password_keys_secret_id: str
    access_token_ttl: int
    id_token_ttl: int
    refresh_token_ttl: int
    refresh_token_idle_ttl: int
    refresh_token_rotation: bool
    refresh_token_grace_seconds: int
    default_phone_country_code: str
    argon2: Argon2Parameters
    key_cache_seconds: int
    sm2_cipher_mode: str
    lockout: LockoutPolicy
    audit_key_secret_id: str
    password_key_overlap_seconds: int = 86400
    # KMS key ARNs of the keys held in KMS (empty: that key comes from Secrets Manager)
    signing_kms_key_id: str = ""
    rsa_password_kms_key_id: str = ""
    sm2_password_kms_key_id: str = ""
    rsa_password_padding: str = ""  # of the RSA password keys the rotation makes; empty: the current key's
    stored_hash_cost_factor: int = 4
    authorization_code_ttl: int = 60
    browser_session_idle_ttl: int = 86400
    browser_session_ttl: int = 14 * 86400
    upstream_secret_id: str = ""  # the lazy migration's upstream (login/upstream.py); empty: no lazy migration
    origin_secret_id: str = ""  # the proxy's secret origin header (origin.py); empty: X-Forwarded-For never believed
    failed_login_floor_ms: int = FAILED_LOGIN_FLOOR_MS  # every failed password check answers no sooner
    self_sign_up: bool = True  # SelfSignUp: people may create their own accounts (/api/v3/signup)

    @property
    def argon2_ceiling(self) -> Argon2Parameters:
        """The most a stored hash (a password, a client secret, an imported hash) may cost: above it in memory,
        iterations or lanes it never matches and is never computed, so a planted or imported hash cannot exhaust a
        container's memory (a 2 GiB hash kills TokenFunction) or slow the dummy verifications down."""
        return self.argon2.times(self.stored_hash_cost_factor)

    @property
    def signing_activation_seconds(self) -> int:
        return signing_activation_seconds(self.key_cache_seconds)

    @property
    def token_retention_seconds(self) -> int:
        """How long a retired signing key stays published: until the last token it signed has expired."""
        return max(self.access_token_ttl, self.id_token_ttl)

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    @property
    def userinfo_endpoint(self) -> str:
        return f"{self.issuer}/me"

    @property
    def introspection_endpoint(self) -> str:
        return f"{self.issuer}/token/introspection"

    @property
    def revocation_endpoint(self) -> str:
        return f"{self.issuer}/token/revocation"

    @property
    def end_session_endpoint(self) -> str:
        return f"{self.issuer}/session/end"

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.issuer}/auth"

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure whenever the issuer is https; only a local stack over plain http goes without."""
        return self.issuer.startswith("https://")


def _int(env: dict, name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name) or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = (env.get(name) or str(default)).lower()
    if raw not in ("true", "false"):
        raise ConfigurationError(f"{name} must be true or false, got {raw!r}")
    return raw == "true"


def _choice(env: dict, name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or ""
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(filter(None, choices))}, got {value!r}")
    return value


def load_settings(env: dict | None = None) -> Settings:
    env = os.environ if env is None else env
    issuer = (env.get("ISSUER") or "").rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise ConfigurationError("ISSUER must be an absolute http(s) URL such as https://auth.example.com/oidc")
    country_code = env.get("DEFAULT_PHONE_COUNTRY_CODE") or "+86"
    if not re.fullmatch(r"\+[1-9][0-9]{0,2}", country_code):  # \d would take any script's digits
        raise ConfigurationError(f"DEFAULT_PHONE_COUNTRY_CODE must look like +86, got {country_code!r}")
    sm2_cipher_mode = (env.get("SM2_CIPHER_MODE") or "c1c3c2").lower()
    if sm2_cipher_mode not in SM2_CIPHER_MODES:
        raise ConfigurationError(f"SM2_CIPHER_MODE must be one of {', '.join(SM2_CIPHER_MODES)}, got {sm2_cipher_mode!r}")
    argon2 = Argon2Parameters(
        memory_kib=_int(env, "ARGON2_MEMORY_KIB", OWASP_MINIMUM_ARGON2.memory_kib, OWASP_MINIMUM_ARGON2.memory_kib),
        iterations=_int(env, "ARGON2_ITERATIONS", OWASP_MINIMUM_ARGON2.iterations, OWASP_MINIMUM_ARGON2.iterations),
        lanes=_int(env, "ARGON2_LANES", OWASP_MINIMUM_ARGON2.lanes, OWASP_MINIMUM_ARGON2.lanes),
    )
    refresh_token_ttl = _int(env, "REFRESH_TOKEN_TTL", 30 * 24 * 3600)
    browser_session_ttl = _int(env, "BROWSER_SESSION_TTL", 14 * 24 * 3600, minimum=60)
    browser_session_idle_ttl = min(_int(env, "BROWSER_SESSION_IDLE_TTL", 24 * 3600, minimum=60), browser_session_ttl)
    return Settings(
        issuer=issuer,
        users_table=env.get("USERS_TABLE", ""),
        clients_table=env.get("CLIENTS_TABLE", ""),
        tokens_table=env.get("TOKENS_TABLE", ""),
        signing_key_secret_id=env.get("SIGNING_KEY_SECRET_ID", ""),
        public_keys_secret_id=env.get("PUBLIC_KEYS_SECRET_ID", ""),
        password_keys_secret_id=env.get("PASSWORD_KEYS_SECRET_ID", ""),
        access_token_ttl=_int(env, "ACCESS_TOKEN_TTL", 3600),
        id_token_ttl=_int(env, "ID_TOKEN_TTL", 3600),
        refresh_token_ttl=refresh_token_ttl,
        # Idle longer than this and the family ends; never beyond the absolute lifetime.
        refresh_token_idle_ttl=min(_int(env, "REFRESH_TOKEN_IDLE_TTL", 14 * 24 * 3600), refresh_token_ttl),
        refresh_token_rotation=_bool(env, "REFRESH_TOKEN_ROTATION", True),
        refresh_token_grace_seconds=_int(env, "REFRESH_TOKEN_GRACE_SECONDS", 5, minimum=0),
        default_phone_country_code=country_code,
        argon2=argon2,
        key_cache_seconds=_int(env, "KEY_CACHE_SECONDS", 300),
        sm2_cipher_mode=sm2_cipher_mode,
        lockout=LockoutPolicy(
            pair_threshold=_int(env, "LOCKOUT_PAIR_THRESHOLD", 5),
            user_threshold=_int(env, "LOCKOUT_USER_THRESHOLD", 20),
            base_wait_seconds=_int(env, "LOCKOUT_BASE_SECONDS", 1),
            max_wait_seconds=_int(env, "LOCKOUT_MAX_SECONDS", 900),
            visible=_bool(env, "LOCKOUT_VISIBLE", False),
            ip_failure_threshold=_int(env, "IP_FAILURE_THRESHOLD", 100),
            ip_window_seconds=_int(env, "IP_FAILURE_WINDOW_SECONDS", 24 * 3600, minimum=60),
            trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0, minimum=0),
        ),
        audit_key_secret_id=env.get("AUDIT_KEY_SECRET_ID", ""),
        password_key_overlap_seconds=_int(env, "PASSWORD_KEY_OVERLAP_SECONDS", 86400, minimum=0),
        signing_kms_key_id=env.get("SIGNING_KMS_KEY_ID", ""),
        rsa_password_kms_key_id=env.get("RSA_PASSWORD_KMS_KEY_ID", ""),
        sm2_password_kms_key_id=env.get("SM2_PASSWORD_KMS_KEY_ID", ""),
        rsa_password_padding=_choice(env, "RSA_PASSWORD_PADDING", ("", "pkcs1v15", "oaep-sha256")),
        stored_hash_cost_factor=_int(env, "STORED_HASH_COST_FACTOR", 4),
        authorization_code_ttl=min(_int(env, "AUTHORIZATION_CODE_TTL", 60), MAX_AUTHORIZATION_CODE_TTL),
        browser_session_idle_ttl=browser_session_idle_ttl,
        browser_session_ttl=browser_session_ttl,
        upstream_secret_id=env.get("UPSTREAM_SECRET_ID", ""),
        origin_secret_id=env.get("ORIGIN_SECRET_ID", ""),
        # never below the work ceiling: a failure on an imported hash could then take longer than one on a native
        failed_login_floor_ms=_int(env, "FAILED_LOGIN_FLOOR_MS", FAILED_LOGIN_FLOOR_MS, minimum=WORK_CEILING_MS),
        self_sign_up=_bool(env, "SELF_SIGN_UP", True),
    )


@functools.cache
def settings() -> Settings:
    """The container's settings, read on first use (tests call settings.cache_clear() after changing the env)."""
    return load_settings()
