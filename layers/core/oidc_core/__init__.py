"""serverless-oidc core: the OAuth/OIDC logic shared by every function (deployed as CoreLayer)."""

# The one place the version is written: pyproject.toml reads it, /api/v3/system publishes it.
__version__ = "0.1.0"
