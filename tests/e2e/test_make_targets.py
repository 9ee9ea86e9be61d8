"""The Makefile as a newcomer meets it: `make help` names every target, the variables the docs mention reach the
commands, and `make invoke`'s mistakes are one line with nothing on stdout."""

from __future__ import annotations

import re
import subprocess

import pytest

from oidc_tools import template
from stack_process import ROOT


def make(*arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *arguments], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def phony_targets() -> list[str]:
    (line,) = re.findall(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    return line.split()


def test_make_help_lists_every_target():
    listed = {line.split()[1] for line in make("help").stdout.splitlines() if line.startswith("make ")}
    assert set(phony_targets()) <= listed
    # and every phony target is a rule of the Makefile, so the list cannot name what does not exist
    rules = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    assert set(phony_targets()) <= rules


def test_make_dev_persist_passes_a_data_file_per_port():
    assert "--data .local-stack/data-3999.json" in make("-n", "dev", "PERSIST=1", "PORT=3999").stdout
    assert "--data" not in make("-n", "dev", "PORT=3999").stdout


def test_make_deploy_installs_the_admin_command_and_passes_the_first_answers_on():
    # -W: as if pyproject.toml had changed, so the dry run shows .venv being made (and oidc-admin installed with it)
    first = make("-n", "-W", "pyproject.toml", "deploy", "GUIDED=1", "STACK=oidc", "REGION=eu-west-3",
                 "PARAMS=DomainName=auth.example.com DisableExecuteApiEndpoint=true").stdout.splitlines()
    install = next(i for i, line in enumerate(first) if "pip install" in line and "-e ." in line)
    # oidc_tools.deploy checks the parameters, asks (GUIDED), builds and deploys: tests/e2e/test_first_deploy.py
    deploy = first.index(".venv/bin/python -m oidc_tools.deploy --sam .venv-sam/bin/sam --guided --stack-name oidc "
                         "--region eu-west-3 DomainName=auth.example.com DisableExecuteApiEndpoint=true")
    assert install < deploy
    later = make("-n", "deploy").stdout.splitlines()
    assert ".venv/bin/python -m oidc_tools.deploy --sam .venv-sam/bin/sam" in later  # samconfig.toml's answers


@pytest.mark.parametrize("function, event, message", [
    ("TokenFunction", "events/nope.json", "invoke: cannot read events/nope.json: No such file or directory"),
    ("TokenFunction", "Makefile", "invoke: Makefile is not JSON"),
    ("NopeFunction", "events/token-password.json", "invoke: unknown function NopeFunction; template.yaml has"),
], ids=["missing-event", "not-json", "unknown-function"])
def test_make_invoke_mistakes_are_one_line(function, event, message):
    result = make("--silent", "invoke", f"FUNCTION={function}", f"EVENT={event}")
    assert result.returncode != 0
    assert result.stdout == ""  # `make invoke … > out.json` gets nothing rather than something that is not JSON
    own = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", line)]
    assert len(own) == 1 and own[0].startswith(message), result.stderr


def test_make_dev_keys_takes_kms_or_nothing():
    assert "--parameter SigningKeySource=KMS" in make("-n", "dev", "KEYS=kms").stdout
    assert "KeySource" not in make("-n", "dev").stdout
    wrong = make("dev", "KEYS=hsm")
    assert wrong.returncode != 0 and "KEYS=hsm: use KEYS=kms" in wrong.stderr


def test_make_invoke_reports_the_template_memory_size_and_no_empty_metrics_warning():
    functions = template.functions(template.load())
    for function, event in (("TokenFunction", "events/token-password.json"),
                            ("SessionFunction", "events/introspection.json")):
        result = make("--silent", "invoke", f"FUNCTION={function}", f"EVENT={event}")
        assert result.returncode == 0, result.stderr
        memory = functions[function].memory_size
        assert re.search(rf"^REPORT RequestId: \S+\tDuration: [0-9.]+ ms\tMemory Size: {memory} MB$", result.stderr,
                         re.M), result.stderr
        # Powertools logs the context's memory size with every line: the template's, as on Lambda
        sizes = set(re.findall(r'"function_memory_size":\s*(\d+)', result.stderr))
        assert sizes <= {str(memory)}, sizes
        assert "No application metrics to publish" not in result.stderr  # introspection publishes none
    assert functions["TokenFunction"].memory_size != 1024  # the context's old fixed size would not pass the above


def test_making_the_venv_prints_no_setuptools_warning_box():
    # -W: as if pyproject.toml had changed, so the install runs again (into this checkout's own .venv)
    result = make("--silent", "-W", "pyproject.toml", "venv", timeout=900)
    assert result.returncode == 0, result.stderr
    assert "Editable installation" not in result.stderr and "*****" not in result.stderr, result.stderr
