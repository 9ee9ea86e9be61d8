"""Standard OIDC clients sign a user in through the login page in a real browser (Debian's headless Chromium, driven
by Selenium) against `make dev`'s stack: openid-client 6 running docs/browser-sign-in.md's example as written, in
English, and Authlib's OAuth2Session with PKCE, in Simplified Chinese. The browser also shows that the page's
Content-Security-Policy lets its own style and the form_post script run (a wrong hash would be refused and logged),
that the session cookie needs one click on a confirmation the next time (a loopback app), and takes the docs' screenshots."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import run_admin
from doc_blocks import node_project, page_blocks

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "demo-browser-app"  # seeded by the local stack
USER, PASSWORD = "demo", "demo-password"


def example_script(directory: Path) -> Path:
    """The openid-client example of docs/browser-sign-in.md, word for word, in a project holding what its `npm i`
    comment installs (openid-client 6, as the interop tests pin it), as tests/interop/test_docs_run_as_written.py
    runs it."""
    (block,) = [block for block in page_blocks("browser-sign-in.md") if "client.authorizationCodeGrant" in block.code]
    return node_project(block.code, directory)


def log_in(driver, url: str, identifier: str, password: str, screenshot: Path | None = None) -> None:
    driver.get(url)
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "identifier")))
    assert driver.switch_to.active_element.get_attribute("id") == "identifier"  # autofocus: typing starts there
    if screenshot is not None:
        driver.save_screenshot(str(screenshot))
    driver.find_element(By.ID, "identifier").send_keys(identifier)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def csp_violations(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_openid_client_runs_the_docs_example_through_the_login_page(running_stack, driver, node, tmp_path):
    script = example_script(tmp_path / "sign-in")
    process = subprocess.Popen([node, script.name], cwd=script.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={"ISSUER": f"{running_stack.base}/oidc"})
    try:
        first = process.stdout.readline()
        url = first.removeprefix("Open this URL in a browser: ").strip()
        assert url.startswith(f"{running_stack.base}/oidc/auth?"), first + process.stderr.read()
        driver.delete_all_cookies()
        log_in(driver, url + "&ui_locales=en", USER, PASSWORD, screenshot=ROOT / "docs" / "browser-sign-in-en.png")
        output, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    result = json.loads(output.strip().splitlines()[-1])
    assert result["claims"]["aud"] == CLIENT_ID and result["claims"]["iss"] == f"{running_stack.base}/oidc"
    assert result["claims"]["amr"] == ["pwd"] and result["claims"]["sid"]
    assert result["userinfo"]["preferred_username"] == "demo" and result["refreshed"] is True
    assert "Signed in" in driver.page_source  # the example's own loopback page
    assert csp_violations(driver) == []


def test_authlib_signs_in_in_chinese_and_the_session_needs_one_click_next_time(running_stack, driver, catcher):
    issuer = f"{running_stack.base}/oidc"
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=30).json()
    session = OAuth2Session(CLIENT_ID, redirect_uri=catcher.redirect_uri, scope="openid profile offline_access",
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = "v" * 20 + "-._~" + "0123456789abcdefghijklmnopqrstuvwxyz"
    url, state = session.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier,
                                                  nonce="nonce-zh", ui_locales="zh-CN")
    driver.delete_all_cookies()
    driver.get(url)
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "identifier")))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert driver.find_element(By.CSS_SELECTOR, "label[for=password]").text == "密码"
    # The style is allowed by its hash: the button is styled, and nothing was refused.
    assert driver.find_element(By.CSS_SELECTOR, "button").value_of_css_property("background-color") in (
        "rgba(26, 86, 196, 1)", "rgb(26, 86, 196)")
    log_in(driver, url, USER, PASSWORD, screenshot=ROOT / "docs" / "browser-sign-in-zh-CN.png")
    callback = catcher.next()
    response = dict(parse_qsl(urlsplit(callback).query))
    assert response["state"] == state and response["iss"] == issuer
    token = session.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = jwt.decode(token["id_token"], options={"verify_signature": False})
    assert claims["nonce"] == "nonce-zh" and claims["aud"] == CLIENT_ID and token["refresh_token"]

    # The same browser again: a native app at a loopback address gets no code from the session alone (RFC 8252
    # §8.6, issue 23): prompt=none is interaction_required, and otherwise one click on a page naming the app.
    again, _ = session.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier,
                                                nonce="n2", prompt="none")
    driver.get(again)
    silent = dict(parse_qsl(urlsplit(catcher.next()).query))
    assert silent.get("error") == "interaction_required" and "code" not in silent, silent
    confirmed, _ = session.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier,
                                                    nonce="n3", ui_locales="zh-CN")
    driver.get(confirmed)
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "button[value=allow]")))
    assert "继续" in driver.page_source and driver.find_elements(By.ID, "password") == []  # no password asked
    driver.find_element(By.CSS_SELECTOR, "button[value=allow]").click()
    answered = dict(parse_qsl(urlsplit(catcher.next()).query))
    assert answered.get("code") and "error" not in answered, answered
    assert csp_violations(driver) == []


def test_form_post_submits_itself_under_the_pages_policy(running_stack, driver, catcher):
    catcher.posts.queue.clear()
    session = OAuth2Session(CLIENT_ID, redirect_uri=catcher.redirect_uri, scope="openid",
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    url, state = session.create_authorization_url(f"{running_stack.base}/oidc/auth", code_verifier="x" * 43,
                                                  response_mode="form_post", state="<b>&amp;'\"</b>")
    driver.get(url)  # the session of the test before: one click (a loopback app), then the page's script posts
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "button[value=allow]")))
    driver.find_element(By.CSS_SELECTOR, "button[value=allow]").click()
    posted = dict(parse_qsl(catcher.posts.get(timeout=60)))
    assert posted["code"] and posted["state"] == "<b>&amp;'\"</b>" and posted["iss"] == f"{running_stack.base}/oidc"
    assert csp_violations(driver) == []


def test_another_site_cannot_frame_the_login_page(running_stack, driver, catcher):
    """Clickjacking (RFC 6749 §10.13): the browser itself refuses to show the page in a frame."""
    from urllib.parse import quote

    login_page = (f"{running_stack.base}/oidc/auth?client_id={CLIENT_ID}&response_type=code&scope=openid"
                  f"&redirect_uri={quote(catcher.redirect_uri, safe='')}&prompt=login"
                  "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
    driver.get_log("browser")  # what earlier tests logged
    driver.get(f"http://127.0.0.1:{catcher.port}/frame?{quote(login_page, safe='')}")
    refused = []
    deadline = time.monotonic() + 30
    while not refused and time.monotonic() < deadline:
        refused = [entry["message"] for entry in driver.get_log("browser")
                   if "frame-ancestors" in entry["message"] or "X-Frame-Options" in entry["message"]]
        time.sleep(0.2)
    assert refused, "Chromium showed the login page inside another site's frame"
    driver.switch_to.frame(driver.find_element(By.TAG_NAME, "iframe"))
    assert driver.find_elements(By.ID, "password") == []  # nothing of the form inside the frame
    driver.switch_to.default_content()


def test_the_consent_page_after_a_login_is_a_get_that_a_reload_shows_again(running_stack, driver, catcher):
    """Post-redirect-get in a real browser: after the login's POST Chromium is on GET /oidc/consent, so reloading
    the consent page shows it again (no form resubmission, no "expired" page), and allowing it brings the code."""
    client_id = f"partner-{uuid.uuid4().hex[:8]}"
    run_admin(running_stack, "client", "create", client_id, "--name", "Partner app", "--auth-method", "none",
              "--grant-types", "authorization_code", "--redirect-uri", "http://127.0.0.1/callback", "--third-party")
    while not catcher.requests.empty():
        catcher.requests.get_nowait()
    session = OAuth2Session(client_id, redirect_uri=catcher.redirect_uri, scope="openid email",
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    url, state = session.create_authorization_url(f"{running_stack.base}/oidc/auth", code_verifier="c" * 43,
                                                  prompt="login", ui_locales="en")
    log_in(driver, url, USER, PASSWORD)
    allow = (By.CSS_SELECTOR, "button[value=allow]")
    WebDriverWait(driver, 30).until(EC.presence_of_element_located(allow))
    assert urlsplit(driver.current_url).path == "/oidc/consent"
    driver.refresh()
    WebDriverWait(driver, 30).until(EC.presence_of_element_located(allow))
    assert "Partner app" in driver.page_source and urlsplit(driver.current_url).path == "/oidc/consent"
    driver.find_element(*allow).click()
    response = dict(parse_qsl(urlsplit(catcher.next()).query))
    assert response["code"] and response["state"] == state and "error" not in response
    assert csp_violations(driver) == []
