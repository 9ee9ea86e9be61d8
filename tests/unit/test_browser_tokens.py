"""The browser's tokens are whole-string matches (issue 23 point 12): a session cookie, an interaction id or CSRF
token, with anything after them (a trailing newline above all, which `$` lets through) is not one."""

from __future__ import annotations

import secrets

from oidc_core.store import browser_sessions, interactions


def test_a_session_cookie_is_its_id_a_dot_and_its_secret_and_nothing_more():
    sid, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    assert browser_sessions.parse_cookie(f"{sid}.{secret}").sid == sid
    for wrong in (f"{sid}\n.{secret}", f"{sid}.{secret}\n", f"{sid}.{secret}A", f"{sid}A.{secret}", f"{sid}.{secret[:-1]}"):
        assert browser_sessions.parse_cookie(wrong) is None, repr(wrong)


def test_an_interaction_token_is_22_to_64_url_safe_characters_and_nothing_more():
    token = secrets.token_urlsafe(16)
    assert interactions.well_formed(token) and interactions.well_formed("A" * 64)
    for wrong in (token + "\n", token + " ", "A" * 65, "A" * 21, token[:10] + "/" + token[11:], "", None):
        assert not interactions.well_formed(wrong), repr(wrong)
