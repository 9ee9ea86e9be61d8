"""GET and POST /oidc/auth, the authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2), and its pages: the login
form (POST /oidc/login) and the consent form (GET and POST /oidc/consent).

The order of the checks is what keeps the endpoint from being an open redirect (RFC 9700 §4.11): the client and its
redirect URI come first, the URI compared exactly with a registered one (RFC 9700 §2.1; only the port of a loopback
URI may differ, RFC 8252 §7.3). If either is wrong the browser gets a page and goes nowhere. Every later error goes
back to the client's redirect URI with `error`, `error_description`, `state` and `iss` (RFC 9207), in the response
mode asked for.

A browser with a live session (store.browser_sessions) gets a code at once, unless the request forces a login
(prompt=login or select_account, max_age passed, an id_token_hint naming someone else); prompt=none never shows a
page and answers login_required or consent_required instead. Otherwise the request is kept as an interaction
(store.interactions) bound to this browser, and the login page is shown. Its POST goes through the one credential
path (login.credentials: lockout, per-IP throttling, audit, one answer for every failure).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from oidc_core import aws
from oidc_core.config import Settings
from oidc_core.errors import DependencyUnavailable, OAuthError
from oidc_core.login import audit, credentials, ip_throttle
from oidc_core.login.client_auth import MAX_CLIENT_ID_LENGTH
from oidc_core.observability import count, logger
from oidc_core.pages import render
from oidc_core.pages.strings import choose_locale
from oidc_core.routing import Response
from oidc_core.store import authorization_codes, browser_sessions, consents, interactions, users
from oidc_core.store.clients import Client, client_key
from oidc_core.store.dynamo import get_items
from oidc_core.store.identifiers import account_candidates, LoginIdentifier
from oidc_core.token_request import TokenRequest, parse_token_request
from oidc_core.tokens import access_tokens
from oidc_core.tokens.access_tokens import InvalidToken
from oidc_core.tokens.scopes import requested_scopes

RESPONSE_MODES = ("query", "fragment", "form_post")
PROMPTS = ("none", "login", "consent", "select_account")
MAX_PARAMETER_LENGTH = 8192  # a state of several KB passes (clients keep data in it); nothing needs more
MAX_QUERY_LENGTH = 64 * 1024
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # BASE64URL(SHA256(verifier)): 43 characters, RFC 7636 §4.2


@dataclass(frozen=True)
class BrowserRequest:
    """What the endpoints read from a browser's request."""

    method: str
    query: str
    body: str | None
    is_base64_encoded: bool
    content_type: str | None
    cookies: dict[str, str]
    accept_language: str | None
    caller: TokenRequest  # the source IP and user agent, for throttling and the audit log


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


# -- reading the request ----------------------------------------------------------------------------------------

def _parameters(browser: BrowserRequest) -> dict[str, str]:
    """The request's parameters, from the query (GET) or the form (POST); a repeated one is refused (RFC 6749 §3.1)."""
    if browser.method == "POST":
        return parse_token_request(browser.body, content_type=browser.content_type,
                                   is_base64_encoded=browser.is_base64_encoded, authorization=None).parameters
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


def _form(browser: BrowserRequest) -> dict[str, str]:
    return parse_token_request(browser.body, content_type=browser.content_type,
                               is_base64_encoded=browser.is_base64_encoded, authorization=None).parameters


def _validated(parameters: dict[str, str], client: Client, redirect_uri: str, locale: str,
               settings: Settings) -> AuthorizationRequest:
    """Everything after the client and the redirect URI, in the order the errors are reported."""
    for name, value in parameters.items():
        if len(value) > MAX_PARAMETER_LENGTH:
            raise AuthorizationError("invalid_request", f"parameter too long: {name[:32]}")
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
    try:
        scopes = requested_scopes(parameters.get("scope"), client.allowed_scopes)
    except OAuthError as error:
        raise AuthorizationError(error.error, error.description) from None

    challenge, method = parameters.get("code_challenge") or None, parameters.get("code_challenge_method") or None
    if challenge is None and method is not None:
        raise AuthorizationError("invalid_request", "code_challenge_method without code_challenge")
    if challenge is not None:
        if method != "S256":  # absent means plain (RFC 7636 §4.3), which RFC 9700 §2.1.1 advises against
            raise AuthorizationError("invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.match(challenge):
            raise AuthorizationError("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)")
    elif client.is_public or client.require_pkce:
        raise AuthorizationError("invalid_request", "this client must use PKCE (code_challenge with S256)")

    prompt = (parameters.get("prompt") or "").split()
    if any(value not in PROMPTS for value in prompt):
        raise AuthorizationError("invalid_request", f"prompt must be among {', '.join(PROMPTS)}")
    if "none" in prompt and len(prompt) > 1:
        raise AuthorizationError("invalid_request", "prompt=none cannot be combined with other values")
    max_age = parameters.get("max_age")
    if max_age is not None and max_age != "":
        if not re.fullmatch(r"[0-9]{1,10}", max_age):
            raise AuthorizationError("invalid_request", "max_age must be a number of seconds")
        max_age_seconds: int | None = int(max_age)
    else:
        max_age_seconds = None

    hint_sub = None
    if parameters.get("id_token_hint"):
        try:
            hint_sub = access_tokens.verified_claims(parameters["id_token_hint"], settings,
                                                     token_type=access_tokens.ID_TOKEN_TYPE, verify_exp=False)["sub"]
        except InvalidToken as invalid:
            logger.info("id_token_hint refused", extra={"reason": invalid.reason})
            raise AuthorizationError("invalid_request", "id_token_hint is not an id_token issued here") from None
    return AuthorizationRequest(
        client_id=client.client_id, redirect_uri=redirect_uri,
        response_mode=parameters.get("response_mode") or "query", state=parameters.get("state") or None,
        scopes=scopes, nonce=parameters.get("nonce") or None, code_challenge=challenge, prompt=prompt,
        max_age=max_age_seconds, login_hint=parameters.get("login_hint") or "", locale=locale, hint_sub=hint_sub,
    )


# -- answering ----------------------------------------------------------------------------------------------------

def _cookie_path(settings: Settings) -> str:
    return urlsplit(settings.issuer).path or "/"


def page(status: int, html: str, *, cookies: list[str] | None = None, form_targets: tuple[str, ...] = (),
         script: bool = False) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=html,
                    headers=render.security_headers(form_targets=form_targets, script=script), cookies=cookies or [])


def error_page(status: int, locale: str, message_key: str) -> Response:
    return page(status, render.error_page(locale, message_key))


def _respond(request: AuthorizationRequest, parameters: dict, settings: Settings, *, status: int = 302,
             cookies: list[str] | None = None) -> Response:
    """An authorization response (success or error) to the client, in its response mode, with state and iss."""
    answer = dict(parameters)
    if request.state is not None:
        answer["state"] = request.state
    answer["iss"] = settings.issuer  # RFC 9207
    if request.response_mode == "form_post":
        return page(200, render.form_post_page(request.locale, request.redirect_uri, answer), cookies=cookies,
                    form_targets=(render.origin_of(request.redirect_uri),), script=True)
    if request.response_mode == "fragment":
        location = f"{request.redirect_uri}#{urlencode(answer)}"
    else:
        location = f"{request.redirect_uri}{'&' if '?' in request.redirect_uri else '?'}{urlencode(answer)}"
    headers = {"Location": location, "Cache-Control": "no-store", "Pragma": "no-cache",
               "Referrer-Policy": "no-referrer"}
    return Response(status_code=status, headers=headers, cookies=cookies or [])


def _redirect_error(request: AuthorizationRequest, error: str, description: str, settings: Settings, *,
                    status: int = 302) -> Response:
    logger.info("authorization refused", extra={"error": error, "client_id": request.client_id})
    return _respond(request, {"error": error, "error_description": description}, settings, status=status)


@dataclass(frozen=True)
class SignedIn:
    """A login a code can be issued for: the user and the browser session."""

    sub: str
    sid: str
    auth_time: int
    user_epoch: int


def _issue_code(request: AuthorizationRequest, login: SignedIn, settings: Settings, now: int, *,
                status: int = 302, cookies: list[str] | None = None, also=()) -> Response:
    with aws.dependency("dynamodb"):
        code, *_ = aws.in_parallel(
            lambda: authorization_codes.issue(
                settings, client_id=request.client_id, redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge, nonce=request.nonce, scopes=request.scopes, sub=login.sub,
                sid=login.sid, auth_time=login.auth_time, user_epoch=login.user_epoch, now=now),
            *also,
        )
    count("AuthorizationCodeIssued")
    return _respond(request, {"code": code}, settings, status=status, cookies=cookies)


def _binding(browser: BrowserRequest) -> tuple[str, list[str]]:
    """This browser's binding cookie, and the Set-Cookie that gives it one when it has none."""
    existing = browser.cookies.get(interactions.BROWSER_COOKIE_NAME)
    if interactions.well_formed(existing):
        return existing, []
    fresh = interactions.new_browser_binding()
    return fresh, [fresh]


def _start_interaction(request: AuthorizationRequest, client: Client, browser: BrowserRequest, settings: Settings,
                       now: int, *, login: SignedIn | None = None) -> Response:
    binding, new = _binding(browser)
    interaction_id, csrf_token = interactions.start(settings, request.stored, binding, now,
                                                    login=asdict(login) if login else None)
    cookies = [browser_sessions.cookie_header(interactions.BROWSER_COOKIE_NAME, fresh, settings,
                                              path=_cookie_path(settings))
               for fresh in new]
    targets = (render.origin_of(request.redirect_uri),)  # the POST's answer may redirect there
    if login is not None:
        html = render.consent_page(request.locale, client_name=client.name or client.client_id,
                                   interaction_id=interaction_id, csrf_token=csrf_token, scopes=request.scopes,
                                   client_id=client.client_id)
    else:
        html = render.login_page(request.locale, client_name=client.name or client.client_id,
                                 interaction_id=interaction_id, csrf_token=csrf_token,
                                 login_hint=request.login_hint, client_id=client.client_id)
    return page(200, html, cookies=cookies, form_targets=targets)


def _needs_consent(request: AuthorizationRequest, client: Client, remembered: dict | None) -> bool:
    if not client.third_party:
        return False  # the operator's own apps: the user signs in to them, nothing to agree to
    return "consent" in request.prompt or not set(request.scopes) <= consents.granted_scopes(remembered)


def _echoable(state: str | None) -> str | None:
    """The state to send back with an early error: a state too long to accept is not echoed either."""
    return state if state and len(state) <= MAX_PARAMETER_LENGTH else None


# -- GET and POST /oidc/auth ------------------------------------------------------------------------------------

def authorize(browser: BrowserRequest, settings: Settings) -> Response:
    locale = choose_locale(None, browser.accept_language)
    try:
        parameters = _parameters(browser)
    except OAuthError:
        return error_page(400, locale, "bad_request")
    locale = choose_locale(parameters.get("ui_locales"), browser.accept_language)
    client_id, redirect_uri = parameters.get("client_id"), parameters.get("redirect_uri")
    cookie = browser_sessions.parse_cookie(browser.cookies.get(browser_sessions.COOKIE_NAME))
    wanted = {}
    if client_id and len(client_id) <= MAX_CLIENT_ID_LENGTH:
        wanted["client"] = (settings.clients_table, client_key(client_id))
    if cookie:
        wanted["session"] = (settings.tokens_table, browser_sessions.session_key(cookie.sid))
    found = get_items(wanted)
    client = Client.from_record(found["client"]) if found.get("client") else None
    if client is None or not client.registered_redirect_uri(redirect_uri):
        logger.info("authorization refused", extra={"error": "unknown client or redirect_uri"})
        return error_page(400, locale, "bad_client")

    response_mode = parameters.get("response_mode") or "query"
    fallback = AuthorizationRequest(client_id=client.client_id, redirect_uri=redirect_uri,
                                    response_mode=response_mode if response_mode in RESPONSE_MODES else "query",
                                    state=_echoable(parameters.get("state")), scopes=[], nonce=None,
                                    code_challenge=None, locale=locale)
    if response_mode not in RESPONSE_MODES:
        return _redirect_error(fallback, "invalid_request", "response_mode must be query, fragment or form_post",
                               settings)
    try:
        request = _validated(parameters, client, redirect_uri, locale, settings)
    except AuthorizationError as error:
        return _redirect_error(fallback, error.error, error.description, settings)

    now = int(time.time())
    session = browser_sessions.BrowserSession.from_record(found["session"]) if found.get("session") else None
    if session is not None and not session.presented_by(cookie):
        session = None
    user, remembered = None, None
    if session is not None:
        reads = {"user": (settings.users_table, users.user_key(session.sub))}
        if client.third_party:
            reads["consent"] = (settings.tokens_table, consents.consent_key(session.sub, client.client_id))
        more = get_items(reads)
        user = users.User.from_record(more["user"]) if more["user"] else None
        remembered = more.get("consent")
        if not session.live_for(user, now):
            session = None

    forced = {"login", "select_account"} & set(request.prompt)
    too_old = session is not None and request.max_age is not None and (
        request.max_age == 0 or now - session.auth_time > request.max_age)
    someone_else = session is not None and request.hint_sub is not None and request.hint_sub != session.sub
    if session is None or forced or too_old or someone_else:
        if "none" in request.prompt:
            return _redirect_error(request, "login_required", "the user must sign in", settings)
        return _start_interaction(request, client, browser, settings, now)

    login = SignedIn(sub=session.sub, sid=session.sid, auth_time=session.auth_time, user_epoch=session.user_epoch)
    if _needs_consent(request, client, remembered):
        if "none" in request.prompt:
            return _redirect_error(request, "consent_required", "the user must consent", settings)
        return _start_interaction(request, client, browser, settings, now, login=login)
    return _issue_code(request, login, settings, now, also=[lambda: browser_sessions.touch(settings, session, now)])


# -- POST /oidc/login, GET and POST /oidc/consent ------------------------------------------------------------------

def _pending(browser: BrowserRequest, form: dict, settings: Settings, extra: dict | None = None
             ) -> tuple[interactions.Interaction | None, Client | None, dict]:
    """The interaction the form names, if this browser was shown it with this token, and its client (re-read: an
    operator's change counts at once)."""
    interaction_id, client_id = form.get("interaction"), form.get("client_id")
    if not interactions.well_formed(interaction_id) or not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        return None, None, {}
    found = get_items({"interaction": (settings.tokens_table, interactions.interaction_key(interaction_id)),
                       "client": (settings.clients_table, client_key(client_id)), **(extra or {})})
    record = found.pop("interaction")
    interaction = interactions.Interaction.from_record(record) if record else None
    binding = browser.cookies.get(interactions.BROWSER_COOKIE_NAME)
    if interaction is None or not interaction.belongs_to(binding, form.get("csrf_token"), int(time.time())):
        logger.info("interaction refused", extra={"reason": "unknown, expired or another browser's"})
        return None, None, found
    client_record = found.pop("client")
    client = Client.from_record(client_record) if client_record else None
    if client is None or client.client_id != interaction.request["client_id"]:
        return None, None, found
    return interaction, client, found


def _first_known(identifiers: list[LoginIdentifier], found: dict) -> tuple[LoginIdentifier, dict | None]:
    """The first identifier some user has (the account rule of /api/v3/signin), else the first one (it names the
    account that locks)."""
    for identifier in identifiers:
        pointer = found.get(f"identifier:{identifier.key}") if identifier.value else None
        if pointer:
            return identifier, pointer
    return identifiers[0], None


def login(browser: BrowserRequest, settings: Settings) -> Response:
    locale = choose_locale(None, browser.accept_language)
    try:
        form = _form(browser)
    except OAuthError:
        return error_page(400, locale, "bad_request")
    account, password = form.get("identifier") or "", form.get("password") or ""
    identifiers = account_candidates(account, settings.default_phone_country_code) if account else []
    reads = {f"identifier:{identifier.key}": (settings.users_table, users.identifier_key(identifier))
             for identifier in identifiers if identifier.value}
    interaction, client, found = _pending(browser, form, settings,
                                          {**reads, **ip_throttle.window_reads(settings, browser.caller.source_ip)})
    if interaction is None:
        return error_page(403, locale, "expired")
    request = AuthorizationRequest(**interaction.request)
    locale = request.locale

    now = int(time.time())

    def again(error: str = "invalid_credentials") -> Response:
        """The page again, with the one error every failure gets (same interaction, same token: nothing to write)."""
        html = render.login_page(locale, client_name=client.name or client.client_id, client_id=client.client_id,
                                 interaction_id=interaction.interaction_id, csrf_token=form["csrf_token"],
                                 login_hint=account[:MAX_PARAMETER_LENGTH], error=error)
        return page(400, html, form_targets=(render.origin_of(request.redirect_uri),))

    if ip_throttle.over_limit(settings, found, now):
        audit.throttled(browser.caller)
        return error_page(429, locale, "too_many_requests")
    if not identifiers or not password:
        return again()
    identifier, pointer = _first_known(identifiers, found)
    try:
        checked = credentials.check_password(browser.caller, client, settings, identifier, pointer, password)
    except DependencyUnavailable:
        raise
    except OAuthError as failure:
        if failure.status_code == 429:
            return error_page(429, locale, "too_many_requests")
        # LockoutResponse=visible: the operator chose to say so (the default answers a lock like a wrong password)
        return again("locked" if "Retry-After" in failure.headers else "invalid_credentials")

    user = checked.user
    old = browser_sessions.parse_cookie(browser.cookies.get(browser_sessions.COOKIE_NAME))
    cookie_value, session = browser_sessions.start(settings, sub=user.sub, user_epoch=user.session_epoch, now=now)
    cookies = [browser_sessions.set_cookie(cookie_value, settings)]
    writes = [*checked.success_writes(settings), lambda: interactions.finish(settings, interaction.interaction_id)]
    if old is not None:
        writes.append(lambda: browser_sessions.end(settings, old.sid, cookie=old))  # a new login replaces the browser's session
    signed_in = SignedIn(sub=user.sub, sid=session.sid, auth_time=now, user_epoch=user.session_epoch)
    if client.third_party:
        remembered = get_items({"consent": (settings.tokens_table, consents.consent_key(user.sub, client.client_id))})
        if _needs_consent(request, client, remembered["consent"]):
            binding = browser.cookies[interactions.BROWSER_COOKIE_NAME]  # _pending found it
            with aws.dependency("dynamodb"):
                (consent_id, _), *_ = aws.in_parallel(
                    lambda: interactions.start(settings, request.stored, binding, now, login=asdict(signed_in)),
                    *writes)
            # Post-redirect-get: the consent page is a GET of its own, so that reloading it shows it again rather than
            # posting the password a second time (the CSRF token is the GET's: `interactions.show`)
            where = urlencode({"interaction": consent_id, "client_id": client.client_id})
            return Response(status_code=303, headers={"Location": f"consent?{where}", **render.security_headers()},
                            cookies=cookies)
    return _issue_code(request, signed_in, settings, now, status=303, cookies=cookies, also=writes)


def consent_page(browser: BrowserRequest, settings: Settings) -> Response:
    """GET /oidc/consent: where a login for a third party's app sends the browser; shown again on every reload until
    answered or expired, only to the browser that signed in."""
    locale = choose_locale(None, browser.accept_language)
    try:
        query = _parameters(browser)
    except OAuthError:
        return error_page(400, locale, "bad_request")
    interaction_id, client_id = query.get("interaction"), query.get("client_id")
    binding = browser.cookies.get(interactions.BROWSER_COOKIE_NAME)
    if not (interactions.well_formed(interaction_id) and interactions.well_formed(binding) and client_id
            and len(client_id) <= MAX_CLIENT_ID_LENGTH):
        return error_page(403, locale, "expired")
    with aws.dependency("dynamodb"):
        shown, found = aws.in_parallel(
            lambda: interactions.show(settings, interaction_id, binding, int(time.time())),
            lambda: get_items({"client": (settings.clients_table, client_key(client_id))}))
    client = Client.from_record(found["client"]) if found["client"] else None
    if shown is None or client is None or client.client_id != shown[0].request["client_id"]:
        logger.info("interaction refused", extra={"reason": "unknown, expired or another browser's"})
        return error_page(403, locale, "expired")
    interaction, csrf_token = shown
    request = AuthorizationRequest(**interaction.request)
    html = render.consent_page(request.locale, client_name=client.name or client.client_id,
                               interaction_id=interaction.interaction_id, csrf_token=csrf_token, scopes=request.scopes,
                               client_id=client.client_id)
    return page(200, html, form_targets=(render.origin_of(request.redirect_uri),))


def consent(browser: BrowserRequest, settings: Settings) -> Response:
    locale = choose_locale(None, browser.accept_language)
    try:
        form = _form(browser)
    except OAuthError:
        return error_page(400, locale, "bad_request")
    interaction, client, _ = _pending(browser, form, settings)
    if interaction is None or interaction.login is None:
        return error_page(403, locale, "expired")
    request = AuthorizationRequest(**interaction.request)
    signed_in = SignedIn(**interaction.login)
    now = int(time.time())
    finished = lambda: interactions.finish(settings, interaction.interaction_id)  # noqa: E731
    if form.get("decision") != "allow":
        with aws.dependency("dynamodb"):
            finished()
        return _redirect_error(request, "access_denied", "the user denied the request", settings, status=303)
    remembered = lambda: consents.remember(settings, signed_in.sub, client.client_id, request.scopes, now)  # noqa
    return _issue_code(request, signed_in, settings, now, status=303, also=[finished, remembered])


# -- the function's glue ----------------------------------------------------------------------------------------

def browser_request(event, caller: TokenRequest) -> BrowserRequest:
    return BrowserRequest(method=event.http_method, query=event.raw_query_string, body=event.body,
                          is_base64_encoded=event.is_base64_encoded, content_type=event.headers.get("content-type"),
                          cookies=event.cookies, accept_language=event.headers.get("accept-language"), caller=caller)


def outage_page(error: DependencyUnavailable, accept_language: str | None) -> Response:
    logger.error("dependency unavailable", extra={"dependency": error.dependency, "cause": repr(error.__cause__)})
    answer = error_page(503, choose_locale(None, accept_language), "unavailable")
    answer.headers["Retry-After"] = str(error.RETRY_AFTER_SECONDS)
    return answer

