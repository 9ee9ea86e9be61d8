"""`make dev PARAMETERS=…` refuses what a deploy would refuse before it listens, in one line naming the parameter and
its constraint; and what the template takes but a function cannot run with stops the start, as the init would on
Lambda, instead of a stack that answers 500 to every request."""

from __future__ import annotations

import re
import subprocess
import sys

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


def test_a_parameter_the_template_takes_but_the_functions_refuse_stops_the_start():
    # CloudFormation's Number takes 1.5; the functions count failures in whole numbers and refuse it at init
    result = subprocess.run([sys.executable, "-m", "oidc_tools.local.stack", "--port", "0",
                             "--parameter", "IpFailureThreshold=1.5"],
                            cwd=ROOT, capture_output=True, text=True, timeout=START_SECONDS)
    assert result.returncode == 1
    assert own_lines(result.stderr) == ["local stack: the functions refuse their configuration: "
                                        "IP_FAILURE_THRESHOLD must be an integer, got '1.5'"]
    assert "ready" not in result.stdout
