"""Every hosted page of the browser sign-in, in English and in Simplified Chinese, in Debian's headless Chromium
against `make dev`'s stack: axe-core (4.10, bundled by axe-selenium-python) finds no WCAG 2.1 A/AA violation on the
login page (fresh and after a failure), the consent page, the loopback app's confirmation (RFC 8252 §8.6), the
logout confirmation and the error page; and a person at the keyboard or on a phone gets what issue 27 asked: the
focus on the password after a wrong one, without a script, and a card that keeps its margin at 390 px."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import create_user, pkce_pair, run_admin

CLIENT_ID = "demo-browser-app"  # seeded by the local stack: public, loopback redirect URIs
WCAG_A_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
LANGUAGES = ("en", "zh-CN")
PHONE_WIDTH = 390


@pytest.fixture(scope="module")
def person(running_stack):
    """A user of this module's own, so that its wrong passwords lock nobody else's tests out."""
    name = f"a11y{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    create_user(running_stack, name, password)
    return name, password


@pytest.fixture(scope="module")
def partner(running_stack):
    client_id = f"partner-a11y-{uuid.uuid4().hex[:8]}"
    run_admin(running_stack, "client", "create", client_id, "--name", "Partner app", "--auth-method", "none",
              "--grant-types", "authorization_code", "--redirect-uri", "http://127.0.0.1/callback", "--third-party")
    return client_id


def authorization_url(running_stack, catcher, client_id: str = CLIENT_ID, **extra) -> str:
    _, challenge = pkce_pair()
    query = {"client_id": client_id, "redirect_uri": catcher.redirect_uri, "response_type": "code",
             "scope": "openid email", "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return f"{running_stack.base}/oidc/auth?{urlencode(query)}"


def wait_for(driver, css: str) -> None:
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def assert_accessible(driver, language: str, page: str) -> None:
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language, page
    axe = Axe(driver)
    axe.inject()
    results = axe.run(options=WCAG_A_AA)
    assert results["violations"] == [], f"{page} ({language}): {axe.report(results['violations'])}"
    assert results["passes"], page  # axe did run its rules on the page


def sign_in(driver, identifier: str, password: str) -> None:
    driver.find_element(By.ID, "identifier").clear()
    driver.find_element(By.ID, "identifier").send_keys(identifier)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_has_no_wcag_a_or_aa_violation(running_stack, driver, catcher, person, partner, language):
    driver.delete_all_cookies()
    driver.get(authorization_url(running_stack, catcher, ui_locales=language, prompt="login"))
    wait_for(driver, "#password")
    assert_accessible(driver, language, "login page")
    sign_in(driver, person[0], "not the password")
    wait_for(driver, "#error")
    assert_accessible(driver, language, "login page after a failure")
    sign_in(driver, person[0], person[1])
    catcher.next()  # a fresh login: the loopback app gets its code at once

    driver.get(authorization_url(running_stack, catcher, ui_locales=language))  # a session: asked to confirm
    wait_for(driver, "button[value=allow]")
    assert_accessible(driver, language, "loopback app confirmation")

    driver.get(authorization_url(running_stack, catcher, partner, ui_locales=language, prompt="consent"))
    wait_for(driver, "button[value=allow]")
    assert "Partner app" in driver.page_source
    assert_accessible(driver, language, "consent page")

    driver.get(f"{running_stack.base}/oidc/session/end?{urlencode({'ui_locales': language})}")
    wait_for(driver, "button[value=allow]")
    assert_accessible(driver, language, "logout confirmation")
    driver.find_element(By.CSS_SELECTOR, "button[value=allow]").click()
    wait_for(driver, "p[role=status]")
    assert_accessible(driver, language, "signed-out page")

    driver.get(f"{running_stack.base}/oidc/auth?{urlencode({'client_id': 'nobody', 'ui_locales': language})}")
    wait_for(driver, "p[role=alert]")
    assert_accessible(driver, language, "error page")


def test_after_a_wrong_password_the_focus_is_on_the_password_field(running_stack, driver, catcher, person):
    driver.delete_all_cookies()
    driver.get(authorization_url(running_stack, catcher, ui_locales="en"))
    wait_for(driver, "#password")
    assert driver.switch_to.active_element.get_attribute("id") == "identifier"
    sign_in(driver, person[0], "not the password")
    wait_for(driver, "#error")
    assert driver.switch_to.active_element.get_attribute("id") == "password"  # `autofocus`, no script
    assert driver.find_element(By.ID, "identifier").get_attribute("value") == person[0]
    assert "pauses for a while" in driver.find_element(By.ID, "error").text


def test_on_a_390_px_phone_the_card_keeps_a_margin(running_stack, driver, catcher):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": PHONE_WIDTH, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        driver.delete_all_cookies()
        driver.get(authorization_url(running_stack, catcher, ui_locales="zh-CN"))
        wait_for(driver, "#password")
        width = driver.execute_script("return document.documentElement.clientWidth")
        card = driver.execute_script("const r = document.querySelector('main').getBoundingClientRect();"
                                     "return [r.left, r.right];")
        assert width == PHONE_WIDTH
        assert card[0] >= 12 and width - card[1] >= 12, card  # a margin on both sides, not flush to the edge
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width  # no sideways scroll
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
