"""`make dev PARAMETERS=…` refuses what a deploy would refuse before it listens, in one line naming the parameter and
its constraint; and what the template takes but a function cannot run with stops the start, as the init would on
Lambda, instead of a stack that answers 500 to every request."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from stack_process import ROOT

START_SECONDS = 120  # a deadline for a slow machine, not a measure


def own_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line and not re.match(r"make(\[\d+\])?: \*\*\*", line)]


def test_make_dev_refuses_a_parameter_the_template_refuses_before_it_listens():
    result = subprocess.run(["make", "--no-print-directory", "--silent", "dev", "PORT=0",
                             "PARAMETERS=IpFailureThreshold=abc"],
                            cwd=ROOT, capture_output=True, text=True, timeout=START_SECONDS)
    assert result.returncode != 0
    assert own_lines(result.stderr) == ["local stack: parameter IpFailureThreshold='abc': not a number"]
    assert "ready" not in result.stdout and "Traceback" not in result.stderr


def make_dev(*assignments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "--silent", "dev", *assignments],
                          cwd=ROOT, capture_output=True, text=True, timeout=START_SECONDS)


@pytest.mark.parametrize("port", ["abc", "70000", "-1", "3000x"])
def test_make_dev_refuses_a_port_that_is_none_in_one_line(port):
    result = make_dev(f"PORT={port}")
    assert result.returncode != 0 and "ready" not in result.stdout
    assert own_lines(result.stderr) == [f"local stack: argument --port: PORT must be a whole number from 0 to 65535 "
                                        f"(0: any free port), got {port!r}"]


def test_a_port_from_the_environment_is_checked_as_well():
    result = subprocess.run([sys.executable, "-m", "oidc_tools.local.stack"], cwd=ROOT, capture_output=True,
                            text=True, timeout=START_SECONDS, env={**os.environ, "PORT": "abc"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert own_lines(result.stderr) == ["local stack: argument --port: PORT must be a whole number from 0 to 65535 "
                                        "(0: any free port), got 'abc'"]


@pytest.mark.parametrize("given, meant", [("RefreshTokenRotaton", "RefreshTokenRotation"),
                                          ("refreshtokenrotation", "RefreshTokenRotation"),
                                          ("KeyCacheSecond", "KeyCacheSeconds")])
def test_make_dev_names_the_parameter_a_misspelled_one_was_meant_to_be(given, meant):
    result = make_dev("PORT=0", f"PARAMETERS={given}=false")
    assert result.returncode != 0 and "ready" not in result.stdout
    assert own_lines(result.stderr) == [f"local stack: parameter {given!r}: template.yaml has no such parameter; "
                                        f"did you mean {meant}?"]


def test_make_dev_says_what_a_parameter_without_a_value_lacks():
    result = make_dev("PORT=0", "PARAMETERS=RefreshTokenRotation")
    assert own_lines(result.stderr) == ["local stack: parameter 'RefreshTokenRotation': not NAME=VALUE "
                                        "(PARAMETERS='RefreshTokenRotation=false …')"]


def test_a_parameter_the_template_takes_but_the_functions_refuse_stops_the_start():
    # CloudFormation's Number takes 1.5; the functions count failures in whole numbers and refuse it at init
    result = subprocess.run([sys.executable, "-m", "oidc_tools.local.stack", "--port", "0",
                             "--parameter", "IpFailureThreshold=1.5"],
                            cwd=ROOT, capture_output=True, text=True, timeout=START_SECONDS)
    assert result.returncode == 1
    assert own_lines(result.stderr) == ["local stack: the functions refuse their configuration: "
                                        "IP_FAILURE_THRESHOLD must be an integer, got '1.5'"]
    assert "ready" not in result.stdout
