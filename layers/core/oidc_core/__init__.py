"""serverless-oidc core: the OAuth/OIDC logic shared by every function (deployed as CoreLayer)."""
