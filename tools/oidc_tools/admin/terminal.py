"""What oidc-admin asks the operator: secrets (from a prompt, or standard input; never the command line, where they
would land in shell history and process listings) and the confirmation of a deletion; and its one-line error."""

from __future__ import annotations

import getpass
import sys


class AdminError(Exception):
    """A failure to report in one line, without a stack trace."""


def read_secret(label: str, from_stdin: bool, check=None) -> str:
    """A secret from stdin or, at a terminal, typed twice; `check` (raising ValueError) refuses it after the first
    time, before it is asked again."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        value = getpass.getpass(f"{label}: ")
    else:
        raise AdminError(f"no terminal to ask for the {label.lower()}: pipe it in with --{label.split()[-1].lower()}-stdin")
    if not value:
        raise AdminError(f"an empty {label.lower()} is not allowed")
    if check is not None:
        check(value)
    if not from_stdin and getpass.getpass(f"{label} again: ") != value:
        raise AdminError(f"the two {label.lower()}s differ")
    return value


def confirm(what: str, args) -> None:
    """A deletion goes ahead with --yes, or when the operator types y at the terminal; never silently."""
    if getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise AdminError(f"deleting {what} cannot be undone: pass --yes to confirm (no terminal to ask)")
    print(f"Delete {what}? This cannot be undone. [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise AdminError(f"{what} not deleted")
