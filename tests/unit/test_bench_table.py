"""docs/performance.md's `make bench` tables are the bench's own output: the same tables in the same order, the same columns, and
the rows the bench names before measuring. The bench is not run here (timing belongs in figures, not tests; the
quick run that proves it still runs is tests/built/test_bench_smoke.py). And the bench's own arithmetic: how it
counts sequential AWS round trips and request units, which the targets are judged by."""

from __future__ import annotations

import threading
from pathlib import Path

from oidc_tools.bench import emulated_aws, report

PAGE = Path(__file__).resolve().parents[2] / "docs" / "performance.md"


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def page_tables() -> dict[str, tuple[list[str], list[list[str]]]]:
    """Title -> (columns, rows) of every table between the `make bench` markers, in order."""
    text = PAGE.read_text()
    block = text.split("<!-- make bench -->", 1)[1].split("<!-- /make bench -->", 1)[0]
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    title = None
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("#### "):
            title = line[5:]
            tables[title] = ([], [])
        elif line.startswith("|") and title is not None:
            columns, rows = tables[title]
            if not columns:
                columns.extend(cells(line))
            elif not set(line) <= set("|-: "):
                rows.append(cells(line))
    return tables


def test_the_page_has_the_tables_the_bench_prints_in_order():
    assert list(page_tables()) == report.titles()


def test_each_table_of_the_page_has_the_columns_and_rows_the_bench_prints():
    labels = report.labels()
    for title, (columns, rows) in page_tables().items():
        assert columns == list(report.COLUMNS[title]), title
        assert all(len(row) == len(columns) for row in rows), title
        if title in labels:
            assert [row[0] for row in rows] == labels[title], title
        else:
            assert rows, title  # measured rows (the slowest imports): some


def test_a_table_prints_as_markdown_with_its_notes():
    table = report.Table("T", ("name", "ms"), [("a", "1.0")], notes=["why"])
    assert table.markdown().splitlines() == ["#### T", "", "| name | ms |", "|---|---:|", "| a | 1.0 |", "", "why"]
    assert str(report.Samples([3.0, 1.0, 2.0])) == "2.0 (1.0–3.0)"
    assert report.ratio_cell(1.05, 1.10) == "1.05 (met, target ≤ 1.10)"
    assert report.ratio_cell(1.30, 1.25) == "1.30 (missed by 0.05, target ≤ 1.25)"


def _call(log: emulated_aws.CallLog, service: str, operation: str, thread: int, batch: int | None, at: float, **params):
    log.calls.append({"service": service, "operation": operation, "params": params, "thread": thread,
                      "batch": batch, "started": at, "ended": at + 0.001})


def test_round_trips_are_counted_by_thread_not_by_clock():
    """A call on the request's thread is one round trip; an aws.in_parallel batch costs the longest chain any one of
    its threads made, however the calls' intervals happened to fall."""
    log = emulated_aws.CallLog()
    main = threading.get_ident()
    _call(log, "dynamodb", "BatchGetItem", main, None, 0.0,
          RequestItems={"clients": {"Keys": [{}, {}]}, "tokens": {"Keys": [{}]}})
    _call(log, "dynamodb", "UpdateItem", 1, 1, 1.0)  # batch 1: two threads, one call each
    _call(log, "dynamodb", "BatchGetItem", 2, 1, 5.0, RequestItems={"users": {"Keys": [{}, {}]}})
    log.first_hash_at = 10.0
    _call(log, "dynamodb", "PutItem", 1, 2, 11.0)  # batch 2: one thread makes two calls in a row
    _call(log, "dynamodb", "DeleteItem", 1, 2, 12.0)
    _call(log, "dynamodb", "DeleteItem", 2, 2, 11.0)
    _call(log, "secretsmanager", "GetSecretValue", main, None, 13.0)
    assert log.round_trips() == 5
    assert log.round_trips("dynamodb") == 4
    assert log.round_trips("dynamodb", before_hash=True) == 2
    assert log.count("secretsmanager", "kms") == 1
    assert log.capacity_units() == (5, 4)  # every key read is a unit; every write one
    assert log.summary() == "2 BatchGetItem, 1 UpdateItem, 1 PutItem, 2 DeleteItem, 1 GetSecretValue"


def test_the_round_trips_of_a_real_parallel_batch_are_attributed_to_it():
    """The wrapper the bench puts around aws.in_parallel marks the calls made inside it, whichever thread runs them."""
    log = emulated_aws.CallLog()
    log.recording = True

    class Model:
        name = "GetItem"

        class service_model:
            service_name = "dynamodb"

    def call():
        log._before(Model, {})
        log._after()

    from oidc_core import aws

    log.wrap_in_parallel(aws.in_parallel)(call, call, call)
    call()
    assert [stage_call["batch"] for stage_call in log.calls] == [1, 1, 1, None]
    assert [len(stage) for stage in log.stages()] == [3, 1]
