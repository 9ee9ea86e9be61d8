"""`python -m oidc_tools.deploy`, as make deploy runs it."""
import sys

from oidc_tools.deploy.run import main

sys.exit(main())
