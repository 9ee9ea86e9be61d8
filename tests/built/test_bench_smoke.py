"""`make bench --quick`: every section runs once against the host build and prints its table, and the plot is drawn.
Nothing here looks at a figure (timing belongs in figures, not tests): this proves the bench still executes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from oidc_tools.bench import cold, report
from stack_process import ROOT


def test_the_bench_runs_every_section_and_draws_its_plot(tmp_path):
    built = cold.build_dir()
    if not (built / "template.yaml").exists():
        pytest.fail(f"no build at {built}: run `make build-host` (make test does)")
    plot = tmp_path / "performance.png"
    result = subprocess.run([sys.executable, "-m", "oidc_tools.bench", "--quick", "--plot", str(plot)],
                            cwd=ROOT, env={**os.environ, "HOST_BUILD": str(built)}, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    printed = [line[5:] for line in result.stdout.splitlines() if line.startswith("#### ")]
    assert printed == report.titles()
    assert plot.read_bytes().startswith(b"\x89PNG")
