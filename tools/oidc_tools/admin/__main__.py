"""`python -m oidc_tools.admin`, the same command as .venv/bin/oidc-admin."""
import sys

from oidc_tools.admin.cli import main

sys.exit(main())
