"""Which user claims go into the id_token for which scope (OIDC Core §5.4)."""

from __future__ import annotations

from oidc_core.store.users import User

PROFILE_CLAIMS = (
    "name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile",
    "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at",
)
SCOPE_CLAIMS = {
    "profile": PROFILE_CLAIMS,
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
}
ALL_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", *(c for claims in SCOPE_CLAIMS.values() for c in claims))


def _available_claims(user: User) -> dict:
    claims = {
        **user.profile,
        "preferred_username": user.username,
        "updated_at": user.updated_at or None,
        "email": user.email,
        "phone_number": user.phone_number,
        "address": user.address,
    }
    # A verification flag only means something next to the value it verifies.
    if user.email:
        claims["email_verified"] = user.email_verified
    if user.phone_number:
        claims["phone_number_verified"] = user.phone_number_verified
    return claims


def user_claims(user: User, scopes: list[str]) -> dict:
    available = _available_claims(user)
    wanted = (claim for scope in scopes for claim in SCOPE_CLAIMS.get(scope, ()))
    return {claim: available[claim] for claim in wanted if available.get(claim) is not None}
