"""One module per grant type; GRANTS maps the grant_type parameter to it.

Each module has `reads(request, settings)`: the items it needs, read in the same round trip as the client, and
`grant(request, client, settings, found)`: the token response, once the client is authenticated.
"""

from oidc_core.grants import authorization_code, client_credentials, password, refresh_token

GRANTS = {
    "authorization_code": authorization_code,
    "password": password,
    "refresh_token": refresh_token,
    "client_credentials": client_credentials,
}
