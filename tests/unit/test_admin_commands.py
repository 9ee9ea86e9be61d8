"""oidc-admin's commands as an operator finds them: each says in one line what it does (in `--help` of its group and
in its own), and docs/deploying.md's command table names every command with every one of its options."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from oidc_core.store.users import PROFILE_FIELDS
from oidc_tools.admin.parser import build_parser

DEPLOYING = Path(__file__).resolve().parents[2] / "docs" / "deploying.md"
WHO = ("--username", "--email", "--phone", "--sub")  # the table writes them as WHO
WHERE = ("--local", "--port")  # every command takes them; the text above the table says so
PROFILE = tuple(f"--{field.replace('_', '-')}" for field in PROFILE_FIELDS)  # the table writes them as PROFILE


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(path, one-line help, parser) of every command and group, by primary name (aliases left out)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for listed in action._choices_actions:
                command = action.choices[listed.dest]
                yield path + (listed.dest,), listed.help, command
                yield from commands(command, path + (listed.dest,))


def leaves() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    return [(path, command) for path, _, command in commands(build_parser())
            if not any(isinstance(action, argparse._SubParsersAction) for action in command._actions)]


def options(command: argparse.ArgumentParser) -> list[str]:
    return [option for action in command._actions for option in action.option_strings
            if option.startswith("--") and option not in ("--help", *WHERE)]


def test_every_command_and_group_says_in_one_line_what_it_does():
    found = list(commands(build_parser()))
    assert len(found) > 20
    silent = [" ".join(path) for path, help_text, command in found
              if not help_text or "\n" in help_text or command.description != help_text]
    assert silent == []


def command_table() -> dict[str, str]:
    """First cell of each row of the oidc-admin table -> the row."""
    section = DEPLOYING.read_text().split("## oidc-admin", 1)[1].split("\n## ", 1)[0]
    return {match[1]: match[0] for match in re.finditer(r"^\| `([^`]+)`.*$", section, re.M)}


def test_the_command_table_names_every_command_with_all_its_options():
    section = DEPLOYING.read_text().split("## oidc-admin", 1)[1].split("\n## ", 1)[0]
    rows = command_table()
    missing = {}
    for path, command in leaves():
        name = " ".join(path)
        row = next((row for row in rows.values()
                    if re.search(rf"`{path[0]}s?{''.join(' ' + re.escape(word) for word in path[1:])}\b", row)), None)
        if row is None:
            missing[name] = "no row"
            continue
        absent = [option for option in options(command) if option not in row
                  and not (option in WHO and "WHO" in row) and not (option in PROFILE and "PROFILE" in row)]
        if absent:
            missing[name] = absent
    assert missing == {}
    # and what WHO and PROFILE stand for is written out, and where --local and --port go
    assert all(option in section for option in WHO + PROFILE)
    assert "`--local [--port N]` may come before the command or after it" in section


def test_the_table_check_sees_a_missing_option():
    """The check above fails on a row that leaves an option out (here, a row stripped of --yes)."""
    row = command_table()["client delete ID [--yes]"].replace("--yes", "")
    delete = next(command for path, command in leaves() if path == ("client", "delete"))
    assert [option for option in options(delete) if option not in row] == ["--yes"]


@pytest.mark.parametrize("argv", [["client", "delete", "x"], ["user", "delete", "--sub", "s"]])
def test_a_deletion_has_a_yes_to_skip_its_question(argv):
    assert build_parser().parse_args(argv + ["--yes"]).yes is True
    assert build_parser().parse_args(argv).yes is False


@pytest.mark.parametrize("argv", [
    ["--local", "--port", "3001", "user", "list"],
    ["user", "list", "--local", "--port", "3001"],
    ["--port", "3001", "user", "list", "--local"],  # each where the operator typed it: neither undoes the other
    ["--local", "user", "list", "--port", "3001"],
])
def test_local_and_port_are_taken_before_the_command_and_after_it(argv):
    args = build_parser().parse_args(argv)
    assert (args.local, args.port, args.command, args.action) == (True, 3001, "user", "list")


def test_every_command_takes_local_and_port_after_it():
    refused = [" ".join(path) for path, command in leaves()
               if not {"--local", "--port"} <= {option for action in command._actions
                                               for option in action.option_strings}]
    assert refused == []


def test_without_local_the_deployed_stack_is_meant():
    args = build_parser().parse_args(["user", "list"])
    assert (args.local, args.port) == (False, 3000)


def test_the_profile_claim_and_the_aws_profile_stay_apart():
    """`--profile` before the command is the AWS profile, after `user create` the OIDC profile claim (a URL): a
    command's own defaults must not wipe the AWS profile given before it."""
    args = build_parser().parse_args(["--profile", "prod", "user", "create", "--username", "a",
                                      "--profile", "https://a.example/me"])
    assert args.profile == "prod" and args.claim_profile == "https://a.example/me"
    assert build_parser().parse_args(["--profile", "prod", "user", "update", "--sub", "s", "--name", "A"]).profile \
        == "prod"


def test_local_and_a_stack_name_together_are_a_usage_mistake(capsys):
    from oidc_tools.admin.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["--stack-name", "prod", "user", "list", "--local"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--local and --stack-name" in error
