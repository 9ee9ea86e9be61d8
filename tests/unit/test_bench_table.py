"""README's `make bench` table is the bench's own output: the same rows in the same order, the same columns, and no
ratio to Argon2id where none makes sense (cold imports). The bench is not run here: timing belongs in figures."""

from __future__ import annotations

import re
from pathlib import Path

from oidc_tools import bench

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_table() -> list[list[str]]:
    lines = [line.strip() for line in README.read_text().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("| median on this machine ("))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_readme_table_has_the_rows_the_bench_prints():
    header, rule, *rows = readme_table()
    printed_header, printed_rule = bench.markdown([], 1.0).splitlines()
    assert header[1:] == [cell.strip() for cell in printed_header.strip("|").split("|")][1:]
    assert "|" + "|".join(rule) + "|" == printed_rule
    assert [row[0] for row in rows] == bench.labels()


def test_every_row_has_a_figure_and_a_ratio_only_where_one_makes_sense():
    _, _, *rows = readme_table()
    for name, milliseconds, ratio in rows:
        assert re.fullmatch(r"\d+\.\d", milliseconds), name
        assert (ratio == "") == name.startswith("cold start"), name
    printed = bench.markdown([("cold start: import the X handler", 500.0), (bench.ARGON2, 20.0)], 20.0).splitlines()
    assert printed[2:] == ["| cold start: import the X handler | 500.0 |  |",
                           "| Argon2id verify (m=19456 KiB, t=2, p=1) | 20.0 | 1.00 |"]
