"""`make bench`: what a request costs on this machine against the work it cannot avoid (run.py and its sections),
what moving users costs (migration.py), and the figure of docs/performance.md (plot.py)."""
