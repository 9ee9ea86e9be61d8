"""The page kit (issue 24 point 3): the form helper escapes every hidden field, and a StaticScript is allowed by
its own hash and by nothing else (a CSP hash-source: no 'unsafe-inline', no nonce)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from oidc_core.pages import render


def test_the_form_helper_carries_every_field_escaped():
    html = render.interaction_form("consent", interaction_id='"><script>', csrf_token="t", client_id="c&d",
                                   body="<button>ok</button>")
    assert html.startswith('<form method="post" action="consent">')
    assert '<input type="hidden" name="interaction" value="&quot;&gt;&lt;script&gt;">' in html
    assert '<input type="hidden" name="client_id" value="c&amp;d">' in html and "<script>" not in html
    assert html.endswith("<button>ok</button>\n</form>")


def test_a_static_script_is_allowed_by_its_sha256_and_nothing_else():
    script = render.StaticScript("navigator.credentials.get({publicKey: {}});")
    digest = base64.b64encode(hashlib.sha256(script.source.encode()).digest()).decode()
    policy = render.security_headers(scripts=(script,))["Content-Security-Policy"]
    assert re.search(r"script-src ([^;]+)", policy).group(1) == f"'sha256-{digest}'"
    assert "unsafe-inline" not in policy and script.element() == f"<script>{script.source}</script>"
    assert "script-src" not in render.security_headers()["Content-Security-Policy"]  # no script, none allowed


def test_a_static_script_cannot_end_its_own_element():
    with pytest.raises(ValueError):
        render.StaticScript("document.write('</script><img src=x>')")


def test_the_form_post_page_inlines_exactly_the_script_its_policy_allows():
    html = render.form_post_page("en", "https://app.example.test/cb", {"code": "c", "state": "<s>"})
    inline = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert inline == [render.AUTO_SUBMIT.source]
    assert 'value="&lt;s&gt;"' in html and "<noscript>" in html  # works without the script too
