import pytest

from oidc_core.tokens.claims import user_claims
from oidc_core.errors import OAuthError
from oidc_core.tokens.scopes import KNOWN_SCOPES, requested_scopes
from oidc_core.store.users import User

EVERYTHING = frozenset(KNOWN_SCOPES)


def test_default_scope_is_openid_profile():
    assert requested_scopes(None, EVERYTHING) == ["openid", "profile"]
    assert requested_scopes("", EVERYTHING) == ["openid", "profile"]


def test_scopes_keep_order_and_drop_repeats_and_extra_spaces():
    assert requested_scopes("email  openid email", EVERYTHING) == ["email", "openid"]


@pytest.mark.parametrize("scope", ["openid admin", "OPENID", "openid\tprofile", 'openid "x"', "openid \\"])
def test_unknown_or_malformed_scope_is_invalid_scope(scope):
    with pytest.raises(OAuthError) as error:
        requested_scopes(scope, EVERYTHING)
    assert error.value.error == "invalid_scope"


def test_scope_the_client_may_not_use_is_invalid_scope():
    with pytest.raises(OAuthError) as error:
        requested_scopes("openid email", frozenset({"openid", "profile"}))
    assert error.value.error == "invalid_scope" and "email" in error.value.description


def alice(**overrides):
    values = dict(sub="s1", password_hash="h", username="alice", email="a@example.com", email_verified=True,
                  phone_number="+8613800138000", address={"country": "CN"}, updated_at=1700000000,
                  profile={"name": "Alice", "picture": "https://example.com/a.png"})
    values.update(overrides)
    return User(**values)


def test_claims_follow_the_scopes_oidc_core_5_4():
    user = alice()
    assert user_claims(user, ["openid"]) == {}
    assert user_claims(user, ["profile"]) == {"name": "Alice", "picture": "https://example.com/a.png",
                                              "preferred_username": "alice", "updated_at": 1700000000}
    assert user_claims(user, ["email"]) == {"email": "a@example.com", "email_verified": True}
    assert user_claims(user, ["phone"]) == {"phone_number": "+8613800138000", "phone_number_verified": False}
    assert user_claims(user, ["address"]) == {"address": {"country": "CN"}}


def test_absent_values_give_no_claim_and_no_orphan_verified_flag():
    user = alice(email=None, phone_number=None, address=None, profile={}, username=None, updated_at=0)
    assert user_claims(user, ["profile", "email", "phone", "address"]) == {}


@pytest.mark.parametrize("refresh_token, scope", [
    (None, "openid profile"),  # the client may not redeem a refresh token: offline_access was not granted
    ("a-refresh-token", "openid profile offline_access"),
])
def test_the_answer_and_the_access_token_say_whether_offline_access_was_granted(refresh_token, scope):
    """RFC 6749 §5.1: the answer's scope is what was granted; offline_access is granted as a refresh token."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from oidc_core.config import load_settings
    from oidc_core.keys.keyring import SigningKey
    from oidc_core.store.clients import Client
    from oidc_core.tokens import issuing

    key = SigningKey(kid="k1", private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    client = Client(client_id="app", secret_hash="", allowed_scopes=EVERYTHING, grant_types=frozenset({"password"}))
    decided = issuing.Grant(client=client, scopes=["openid", "profile", "offline_access"], user=alice())
    answer = issuing.issue(load_settings({"ISSUER": "https://auth.example.com/oidc"}), key, decided,
                           refresh_token=refresh_token)
    assert answer["scope"] == scope and answer.get("refresh_token") == refresh_token
    claims = jwt.decode(answer["access_token"], key.private_key.public_key(), algorithms=["RS256"],
                        options={"verify_aud": False})
    assert claims["scope"] == scope
