"""One module per grant type; GRANTS maps the grant_type parameter to the function that carries it out."""

from oidc_core.grants.password import password_grant

GRANTS = {
    "password": password_grant,
}
