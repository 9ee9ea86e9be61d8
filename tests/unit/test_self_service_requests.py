"""How the v3 self-service calls read what they are sent: addresses in the normal form users are stored under, the
profile fields a sign-up keeps, the app's sign-up switch, and the password policy shared with oidc-admin."""

from __future__ import annotations

import pytest

from oidc_core.codes.channels import EMAIL, SMS
from oidc_core.config import load_settings
from oidc_core.endpoints.authing import apps
from oidc_core.endpoints.authing.addresses import email_address, passcode_address, phone_number
from oidc_core.endpoints.authing.signup import profile_claims
from oidc_core.errors import OAuthError
from oidc_core.passwords.policy import check_password_policy
from oidc_core.store.clients import Client

SETTINGS = load_settings({"ISSUER": "https://auth.example.test/oidc"})


@pytest.mark.parametrize("document", [
    {"phoneNumber": "13800138000"}, {"phoneNumber": "138 0013 8000", "phoneCountryCode": "+86"},
    {"phoneNumber": "+86 138-0013-8000"}, {"phoneNumber": "008613800138000"},
    {"phoneNumber": "013800138000", "phoneCountryCode": "+86"},
])
def test_a_phone_number_is_read_as_e164(document):
    assert phone_number(document, "phoneNumber", "body", SETTINGS).value == "+8613800138000"


def test_the_country_code_beside_a_national_number_is_used():
    assert phone_number({"phoneNumber": "91234567", "phoneCountryCode": "+852"}, "phoneNumber", "body",
                        SETTINGS).value == "+85291234567"


@pytest.mark.parametrize("document", [{}, {"phoneNumber": ""}, {"phoneNumber": "call me"}, {"phoneNumber": 138},
                                      {"phoneNumber": "１３８００１３８０００"}])
def test_what_is_no_phone_number_is_a_clear_invalid_request(document):
    with pytest.raises(OAuthError) as refused:
        phone_number(document, "phoneNumber", "body", SETTINGS)
    assert refused.value.error == "invalid_request" and refused.value.status_code == 400


def test_an_email_address_is_case_folded_as_users_are_stored():
    assert email_address({"email": "Alice@Example.COM"}, "email", "body").value == "alice@example.com"
    with pytest.raises(OAuthError):
        email_address({"email": "alice\u200b@example.com"}, "email", "body")


def test_a_passcode_payload_names_exactly_one_address():
    assert passcode_address({"email": "a@example.com"}, "p", SETTINGS)[0] == EMAIL
    assert passcode_address({"phone": "13800138000"}, "p", SETTINGS)[0] == SMS
    for payload in ({}, {"email": "a@example.com", "phone": "13800138000"}):
        with pytest.raises(OAuthError):
            passcode_address(payload, "p", SETTINGS)


def test_a_sign_up_keeps_five_profile_fields_and_ignores_the_rest():
    claims = profile_claims({"profile": {"name": "N", "nickname": "n", "givenName": "G", "familyName": "F",
                                         "locale": "zh-CN", "picture": "https://x/p.png", "blocked": False}})
    assert claims == {"name": "N", "nickname": "n", "given_name": "G", "family_name": "F", "locale": "zh-CN"}
    assert profile_claims({}) == {} and profile_claims({"profile": None}) == {}
    for bad in ({"name": "x" * 257}, {"name": "line\nbreak"}, {"name": 7}):
        with pytest.raises(OAuthError):
            profile_claims({"profile": bad})


def test_sign_up_is_open_only_where_the_stack_and_the_app_allow_it():
    app = Client(client_id="a", secret_hash="", allowed_scopes=frozenset(), grant_types=frozenset())
    barred = Client(client_id="b", secret_hash="", allowed_scopes=frozenset(), grant_types=frozenset(),
                    no_sign_up=True)
    closed = load_settings({"ISSUER": "https://auth.example.test/oidc", "SELF_SIGN_UP": "false"})
    assert apps.may_sign_up(app, SETTINGS) and not apps.may_sign_up(barred, SETTINGS)
    assert not apps.may_sign_up(app, closed)
    with pytest.raises(OAuthError) as refused:
        apps.require_sign_up(barred, SETTINGS)
    assert (refused.value.status_code, refused.value.error) == (403, "access_denied")


@pytest.mark.parametrize("password, identifiers, fine", [
    ("12345678", [], True), ("1234567", [], False), ("x" * 1025, [], False),
    ("Alice@Example.com", ["alice@example.com"], False), ("  newbie  ", ["newbie"], False),
])
def test_the_password_policy(password, identifiers, fine):
    if fine:
        check_password_policy(password, identifiers)
    else:
        with pytest.raises(ValueError):
            check_password_policy(password, identifiers)
