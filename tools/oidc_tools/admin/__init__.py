"""oidc-admin (cli.py) and what only it does: importing users from another system (user_import.py)."""
