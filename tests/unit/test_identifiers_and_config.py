import pytest

from oidc_core.config import ConfigurationError, load_settings
from oidc_core.store.identifiers import normalise, normalise_phone


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13800138000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("(+86) 138 0013 8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("not a phone", ""),
        ("+0123456789", ""),
        ("12", ""),
        ("+1234567890123456", ""),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw, expected):
    assert normalise_phone(raw, "+86") == expected


def test_default_country_code_is_configurable():
    assert normalise_phone("4155550100", "+1") == "+14155550100"


def test_username_and_email_are_case_insensitive():
    assert normalise("username", " Alice ", "+86").key == "username#alice"
    assert normalise("email", "Alice@Example.COM", "+86").key == "email#alice@example.com"


def test_an_absurdly_long_identifier_names_nobody():
    assert normalise("username", "a" * 1000, "+86").value == ""


BASE = {"ISSUER": "https://auth.example.com/oidc/"}


def test_defaults():
    settings = load_settings(BASE)
    assert settings.issuer == "https://auth.example.com/oidc"
    assert settings.token_endpoint == "https://auth.example.com/oidc/token"
    assert (settings.access_token_ttl, settings.id_token_ttl) == (3600, 3600)
    assert settings.refresh_token_ttl == 30 * 24 * 3600
    assert settings.default_phone_country_code == "+86"
    assert (settings.argon2.memory_kib, settings.argon2.iterations, settings.argon2.lanes) == (19456, 2, 1)


@pytest.mark.parametrize(
    "overrides",
    [
        {"ISSUER": ""},
        {"ISSUER": "auth.example.com"},
        {"ACCESS_TOKEN_TTL": "soon"},
        {"ACCESS_TOKEN_TTL": "0"},
        {"ARGON2_MEMORY_KIB": "4096"},
        {"ARGON2_ITERATIONS": "1"},
        {"DEFAULT_PHONE_COUNTRY_CODE": "86"},
        {"RSA_PASSWORD_PADDING": "oaep"},
    ],
)
def test_bad_configuration_is_refused(overrides):
    with pytest.raises(ConfigurationError):
        load_settings({**BASE, **overrides})


def test_stronger_argon2_parameters_are_accepted():
    settings = load_settings({**BASE, "ARGON2_MEMORY_KIB": "65536", "ARGON2_ITERATIONS": "3", "ARGON2_LANES": "2"})
    assert (settings.argon2.memory_kib, settings.argon2.iterations, settings.argon2.lanes) == (65536, 3, 2)
