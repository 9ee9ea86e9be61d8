"""The pages, as small templates of our own: every value that comes from a request or a client's registration is
escaped with html.escape where it is inserted, and nothing else is ever inserted.

The pages load nothing and need no script: the one inline style is allowed by its hash, so the Content-Security-
Policy has no 'unsafe-inline' (default-src 'none', frame-ancestors 'none'). The form_post page submits itself with
a one-line script, also allowed by its hash, and shows a button when scripts are off.
"""

from __future__ import annotations

import base64
import hashlib
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
_AUTO_SUBMIT = "document.forms[0].submit();"


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


STYLE_HASH, SCRIPT_HASH = _hash(_CSS), _hash(_AUTO_SUBMIT)


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(*, form_targets: tuple[str, ...] = (), script: bool = False) -> dict:
    """CSP and friends for a page. `form_targets`: origins its forms may post to, or a POST may redirect to, besides
    our own (browsers check a form's redirects against form-action too)."""
    form_action = " ".join(("'self'", *dict.fromkeys(form_targets)))
    policy = (f"default-src 'none'; style-src {STYLE_HASH}; form-action {form_action}; frame-ancestors 'none'; "
              "base-uri 'none'")
    if script:
        policy += f"; script-src {SCRIPT_HASH}"
    return {"Content-Security-Policy": policy, "X-Frame-Options": "DENY", "Cache-Control": "no-store",
            "Pragma": "no-cache", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def _page(locale: str, title: str, body: str) -> str:
    return (f'<!doctype html>\n<html lang="{escape(locale)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            "</body>\n</html>\n")


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def login_page(locale: str, *, client_name: str, client_id: str, interaction_id: str, csrf_token: str,
               login_hint: str = "", error: str | None = None) -> str:
    words = STRINGS[locale]
    error_html = (f'<p class="error" id="error" role="alert">{escape(words[error])}</p>\n' if error else "")
    described = ' aria-describedby="error" aria-invalid="true"' if error else ""
    # After a failure the focus goes where the user types next, without a script: the password field
    focus_identifier, focus_password = ("", " autofocus") if error else (" autofocus", "")
    intro = escape(words["login_intro"]).replace("{client}", f"<strong>{escape(client_name)}</strong>")
    body = (
        f"<h1>{escape(words['login_title'])}</h1>\n<p>{intro}</p>\n{error_html}"
        '<form method="post" action="login">\n'
        f"{_hidden('interaction', interaction_id)}\n{_hidden('csrf_token', csrf_token)}\n"
        f"{_hidden('client_id', client_id)}\n"
        f'<label for="identifier">{escape(words["identifier"])}</label>\n'
        f'<input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none" '
        f'spellcheck="false" required{focus_identifier} value="{escape(login_hint)}"{described}>\n'
        f'<label for="password">{escape(words["password"])}</label>\n'
        f'<input id="password" name="password" type="password" autocomplete="current-password" required{focus_password}{described}>\n'
        f'<button type="submit">{escape(words["submit"])}</button>\n</form>'
    )
    return _page(locale, words["login_title"], body)


def consent_page(locale: str, *, client_name: str, client_id: str, interaction_id: str, csrf_token: str,
                 scopes) -> str:
    words = STRINGS[locale]
    intro = escape(words["consent_intro"]).replace("{client}", f"<strong>{escape(client_name)}</strong>")
    items = "\n".join(f'<li data-scope="{escape(scope)}">{escape(scope_words(scope, locale))}</li>' for scope in scopes)
    body = (
        f"<h1>{escape(words['consent_title'])}</h1>\n<p>{intro}</p>\n<ul>\n{items}\n</ul>\n"
        '<form method="post" action="consent">\n'
        f"{_hidden('interaction', interaction_id)}\n{_hidden('csrf_token', csrf_token)}\n"
        f"{_hidden('client_id', client_id)}\n"
        f'<button type="submit" name="decision" value="allow">{escape(words["allow"])}</button>'
        f'<button type="submit" name="decision" value="deny" class="secondary">{escape(words["deny"])}</button>\n'
        "</form>"
    )
    return _page(locale, words["consent_title"], body)


def confirm_page(locale: str, *, client_name: str, client_id: str, interaction_id: str, csrf_token: str,
                 scopes=()) -> str:
    """One click before a code goes to a native app at a loopback address (RFC 8252 §8.6): the user sees which app
    asks, and a page opened by some local process goes no further unless they continue. Posts like the consent form."""
    words = STRINGS[locale]
    intro = escape(words["confirm_intro"]).replace("{client}", f"<strong>{escape(client_name)}</strong>")
    body = (
        f"<h1>{escape(words['confirm_title'])}</h1>\n<p>{intro}</p>\n<p>{escape(words['confirm_warning'])}</p>\n"
        '<form method="post" action="consent">\n'
        f"{_hidden('interaction', interaction_id)}\n{_hidden('csrf_token', csrf_token)}\n"
        f"{_hidden('client_id', client_id)}\n"
        f'<button type="submit" name="decision" value="allow">{escape(words["continue"])}</button>'
        f'<button type="submit" name="decision" value="deny" class="secondary">{escape(words["cancel"])}</button>\n'
        "</form>"
    )
    return _page(locale, words["confirm_title"], body)


def logout_page(locale: str, fields: dict[str, str]) -> str:
    """RP-Initiated Logout without an id_token_hint: the user confirms (or not) before the session ends."""
    words = STRINGS[locale]
    hidden = "\n".join(_hidden(name, value) for name, value in fields.items())
    body = (
        f"<h1>{escape(words['logout_title'])}</h1>\n<p>{escape(words['logout_question'])}</p>\n"
        f'<form method="post" action="end">\n{hidden}\n'
        f'<button type="submit" name="decision" value="allow">{escape(words["sign_out"])}</button>'
        f'<button type="submit" name="decision" value="deny" class="secondary">{escape(words["stay_signed_in"])}'
        "</button>\n</form>"
    )
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
    """OAuth 2.0 Form Post Response Mode: the browser posts the response to the redirect URI."""
    fields = "\n".join(_hidden(name, value) for name, value in parameters.items())
    return (f'<!doctype html>\n<html lang="{escape(locale)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(STRINGS[locale]['continue'])}</title>\n</head>\n<body>\n"
            f'<form method="post" action="{escape(redirect_uri)}">\n{fields}\n'
            f"<noscript><button type=\"submit\">{escape(STRINGS[locale]['continue'])}</button></noscript>\n"
            f"</form>\n<script>{_AUTO_SUBMIT}</script>\n</body>\n</html>\n")
