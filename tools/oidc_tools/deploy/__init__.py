"""`make deploy`: check the parameters, ask what has no default (GUIDED=1), build, and sam deploy (run.py)."""
