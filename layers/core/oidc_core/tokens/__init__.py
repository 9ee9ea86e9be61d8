"""Tokens: issuing the JWTs (issuing), verifying ours and the access-token revocation list (access_tokens), which
claims a scope releases (claims), and scope parsing (scopes)."""
