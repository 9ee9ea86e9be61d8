"""The last test of a run: no password, client secret or token that the run used appears in any log line it
produced (collected by tests/log_audit.py; conftest.py moves this test to the end)."""

from log_audit import leaked_secrets, where_leaked


def test_no_secret_in_any_log_line():
    leaked = leaked_secrets()
    assert not leaked, (f"{len(leaked)} secrets appear in the logs, e.g. one ending …{leaked[0][-6:]} in: "
                        f"{where_leaked(leaked[0])}")
