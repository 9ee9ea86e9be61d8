"""The pages, as small templates of our own: every value that comes from a request or a client's registration is
escaped with html.escape where it is inserted, and nothing else is ever inserted.

The pages load nothing and need no script: the one inline style is allowed by its hash, so the Content-Security-
Policy has no 'unsafe-inline' (default-src 'none', frame-ancestors 'none'). A page that does want a script (the
form_post page submits itself; a passkey page will call WebAuthn) inlines a StaticScript of our own, allowed by its
hash alone, and works without it where it can (the form_post page shows a button).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from oidc_core.pages.strings import STRINGS, scope_words

# The card keeps a margin on a phone (body padding), and its padding counts within its width (border-box)
_CSS = ("body{font-family:system-ui,sans-serif;margin:0;padding:0 1rem;background:#f4f5f7;color:#1d1d1f}"
        "main{box-sizing:border-box;max-width:28rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;"
        "box-shadow:0 1px 4px rgba(0,0,0,.15)}"
        "h1{font-size:1.5rem;margin:0 0 1rem}label{display:block;margin:1rem 0 .25rem;font-weight:600}"
        "input{box-sizing:border-box;width:100%;padding:.6rem;font-size:1rem;border:1px solid #767676;border-radius:4px}"
        "input:focus,button:focus{outline:3px solid #1a73e8;outline-offset:1px}"
        "button{margin-top:1.5rem;padding:.7rem 1.2rem;font-size:1rem;border:0;border-radius:4px;background:#1a56c4;"
        "color:#fff;cursor:pointer}button.secondary{background:#5f6368;margin-left:.5rem}"
        ".error{color:#a50e0e;background:#fce8e6;padding:.75rem;border-radius:4px}ul{padding-left:1.25rem}")


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


@dataclass(frozen=True)
class StaticScript:
    """A script of our own, inlined in a page and allowed by its SHA-256 alone (a CSP hash-source): no
    'unsafe-inline', no nonce to make per answer, and editing the script moves its hash with it. Only our own text
    goes in; a value from a request never does (it goes into the page's HTML, escaped, for the script to read)."""

    source: str

    def __post_init__(self):
        if "</" in self.source:
            raise ValueError("a static script cannot contain '</' (it would end its <script> element)")

    @property
    def csp_source(self) -> str:
        return _hash(self.source)

    def element(self) -> str:
        return f"<script>{self.source}</script>"


AUTO_SUBMIT = StaticScript("document.forms[0].submit();")
STYLE_HASH = _hash(_CSS)


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(*, form_targets: tuple[str, ...] = (), scripts: tuple[StaticScript, ...] = ()) -> dict:
    """CSP and friends for a page. `form_targets`: origins its forms may post to, or a POST may redirect to, besides
    our own (browsers check a form's redirects against form-action too). `scripts`: the static scripts it inlines."""
    form_action = " ".join(("'self'", *dict.fromkeys(form_targets)))
    policy = (f"default-src 'none'; style-src {STYLE_HASH}; form-action {form_action}; frame-ancestors 'none'; "
              "base-uri 'none'")
    if scripts:
        policy += "; script-src " + " ".join(dict.fromkeys(script.csp_source for script in scripts))
    return {"Content-Security-Policy": policy, "X-Frame-Options": "DENY", "Cache-Control": "no-store",
            "Pragma": "no-cache", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def _page(locale: str, title: str, body: str) -> str:
    return (f'<!doctype html>\n<html lang="{escape(locale)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            "</body>\n</html>\n")


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def form(action: str, fields: dict[str, str], body: str) -> str:
    """A POST form to `action` (relative to the page), carrying `fields` as hidden inputs, escaped, before `body`."""
    hidden = "".join(f"{_hidden(name, value)}\n" for name, value in fields.items())
    return f'<form method="post" action="{escape(action)}">\n{hidden}{body}\n</form>'


def interaction_form(action: str, *, interaction_id: str, csrf_token: str, client_id: str, body: str) -> str:
    """The form of an interaction's page: what every such form sends back (which interaction, its CSRF token, and
    the client, re-read at the POST)."""
    return form(action, {"interaction": interaction_id, "csrf_token": csrf_token, "client_id": client_id}, body)


def _choice(words: dict, allow: str, deny: str) -> str:
    return (f'<button type="submit" name="decision" value="allow">{escape(words[allow])}</button>'
            f'<button type="submit" name="decision" value="deny" class="secondary">{escape(words[deny])}</button>')


def _intro(words: dict, key: str, client_name: str) -> str:
    return escape(words[key]).replace("{client}", f"<strong>{escape(client_name)}</strong>")


def login_page(locale: str, *, client_name: str, client_id: str, interaction_id: str, csrf_token: str,
               login_hint: str = "", error: str | None = None) -> str:
    words = STRINGS[locale]
    error_html = (f'<p class="error" id="error" role="alert">{escape(words[error])}</p>\n' if error else "")
    described = ' aria-describedby="error" aria-invalid="true"' if error else ""
    # After a failure the focus goes where the user types next, without a script: the password field
    focus_identifier, focus_password = ("", " autofocus") if error else (" autofocus", "")
    fields = (
        f'<label for="identifier">{escape(words["identifier"])}</label>\n'
        f'<input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none" '
        f'spellcheck="false" required{focus_identifier} value="{escape(login_hint)}"{described}>\n'
        f'<label for="password">{escape(words["password"])}</label>\n'
        f'<input id="password" name="password" type="password" autocomplete="current-password" '
        f'required{focus_password}{described}>\n'
        f'<button type="submit">{escape(words["submit"])}</button>'
    )
    body = (f"<h1>{escape(words['login_title'])}</h1>\n<p>{_intro(words, 'login_intro', client_name)}</p>\n"
            f"{error_html}" + interaction_form("login", interaction_id=interaction_id, csrf_token=csrf_token,
                                               client_id=client_id, body=fields))
    return _page(locale, words["login_title"], body)


def consent_page(locale: str, *, client_name: str, client_id: str, interaction_id: str, csrf_token: str,
                 scopes) -> str:
    words = STRINGS[locale]
    items = "\n".join(f'<li data-scope="{escape(scope)}">{escape(scope_words(scope, locale))}</li>' for scope in scopes)
    body = (f"<h1>{escape(words['consent_title'])}</h1>\n<p>{_intro(words, 'consent_intro', client_name)}</p>\n"
            f"<ul>\n{items}\n</ul>\n" + interaction_form("consent", interaction_id=interaction_id,
                                                         csrf_token=csrf_token, client_id=client_id,
                                                         body=_choice(words, "allow", "deny")))
    return _page(locale, words["consent_title"], body)


def confirm_page(locale: str, *, client_name: str, client_id: str, interaction_id: str, csrf_token: str,
                 scopes=()) -> str:
    """One click before a code goes to a native app at a loopback address (RFC 8252 §8.6): the user sees which app
    asks, and a page opened by some local process goes no further unless they continue. Posts like the consent form."""
    words = STRINGS[locale]
    body = (f"<h1>{escape(words['confirm_title'])}</h1>\n<p>{_intro(words, 'confirm_intro', client_name)}</p>\n"
            f"<p>{escape(words['confirm_warning'])}</p>\n"
            + interaction_form("consent", interaction_id=interaction_id, csrf_token=csrf_token, client_id=client_id,
                               body=_choice(words, "continue", "cancel")))
    return _page(locale, words["confirm_title"], body)


def logout_page(locale: str, fields: dict[str, str]) -> str:
    """RP-Initiated Logout without an id_token_hint: the user confirms (or not) before the session ends."""
    words = STRINGS[locale]
    body = (f"<h1>{escape(words['logout_title'])}</h1>\n<p>{escape(words['logout_question'])}</p>\n"
            + form("end", fields, _choice(words, "sign_out", "stay_signed_in")))
    return _page(locale, words["logout_title"], body)


def message_page(locale: str, title_key: str, message_key: str) -> str:
    words = STRINGS[locale]
    return _page(locale, words[title_key],
                 f"<h1>{escape(words[title_key])}</h1>\n<p role=\"status\">{escape(words[message_key])}</p>")


def error_page(locale: str, message_key: str) -> str:
    words = STRINGS[locale]
    return _page(locale, words["error_title"],
                 f"<h1>{escape(words['error_title'])}</h1>\n<p role=\"alert\">{escape(words[message_key])}</p>")


def form_post_page(locale: str, redirect_uri: str, parameters: dict[str, str]) -> str:
    """OAuth 2.0 Form Post Response Mode: the browser posts the response to the redirect URI (AUTO_SUBMIT does,
    and without scripts a button does)."""
    button = f"<noscript><button type=\"submit\">{escape(STRINGS[locale]['continue'])}</button></noscript>"
    return (f'<!doctype html>\n<html lang="{escape(locale)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(STRINGS[locale]['continue'])}</title>\n</head>\n<body>\n"
            f"{form(redirect_uri, parameters, button)}\n{AUTO_SUBMIT.element()}\n</body>\n</html>\n")
