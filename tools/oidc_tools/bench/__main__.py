"""`python -m oidc_tools.bench`, as make bench runs it."""
from oidc_tools.bench.run import main

main()
