"""The service on this machine without Docker: the local stack (stack.py, make dev), one event through one function
(invoke.py, make invoke), HTTP API events (lambda_events.py), and where the emulator must behave as AWS does
(emulator.py, faithful_kms.py), snapshot.py for make dev PERSIST=1."""
