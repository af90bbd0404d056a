"""Rows of a time-window table that no window covers (a NULL date, one before ``start``, one in
the future, a mid-month date in a monthly table) are never filled and never silently dropped:
``TableRun`` counts them per value, logs them and keeps them in its record, on DuckDB,
PostgreSQL and MariaDB."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.partitions import NULL_KEY, uncovered_line, uncovered_rows
from impute_assets.store import ModelStore
from tests.factories import sample_frame, table_spec

FUTURE = date.today() + timedelta(days=400)
#: Window starts of a monthly table from 2013-01-01, then what no window covers.
COVERED = [date(2013, 1, 1), date(2013, 2, 1)]
OUTSIDE = [None, date(2012, 12, 1), date(2013, 1, 15), FUTURE.replace(day=1)]


def test_uncovered_rows_by_rule():
    spec = TableSpec.parse(
        table_spec("t", partition={"column": "d", "kind": "daily", "start": "2013-01-01"})
    )
    counts = {NULL_KEY: 3, "2012-12-31": 2, "2013-01-05": 7, FUTURE.isoformat(): 1}
    assert uncovered_rows(spec.partition, counts) == {
        NULL_KEY: 3,
        "2012-12-31": 2,
        FUTURE.isoformat(): 1,
    }
    assert uncovered_rows(spec.partition, counts, windows={"2012-12-31"}) == {
        NULL_KEY: 3,
        "2013-01-05": 7,
        FUTURE.isoformat(): 1,
    }
    line = uncovered_line(spec, {NULL_KEY: 3, "2012-12-31": 2})
    assert "5 row(s) are in no daily partition window of column 'd'" in line
    assert "NULL: 3, 2012-12-31: 2" in line
    dynamic = TableSpec.parse(table_spec("t", partition={"column": "d", "kind": "dynamic"}))
    assert uncovered_rows(dynamic.partition, counts) == {} and uncovered_line(dynamic, {}) == ""


def test_rows_outside_every_window_are_reported(warehouse, unique_name, tmp_path, caplog):
    frame = sample_frame(rows=180)
    days = COVERED * 60 + OUTSIDE * 15  # 120 covered rows, 60 outside (15 per value)
    frame["month_start"] = days[: len(frame)]
    warehouse.publish(frame, unique_name)
    spec = TableSpec.parse(
        table_spec(
            unique_name,
            partition={"column": "month_start", "kind": "monthly", "start": "2013-01-01"},
            fill="all",
        )
    )
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
    assert run.partition_keys() == [d.isoformat() for d in COVERED]
    outside = {NULL_KEY if d is None else d.isoformat(): 15 for d in OUTSIDE}
    assert run.uncovered() == outside
    with caplog.at_level(logging.WARNING):
        record = run.run()
    assert record.uncovered == outside
    assert sum(f.rows for f in record.fills) == 120
    assert len(warehouse.read(spec.output_name)) == 120
    assert "60 row(s) are in no monthly partition window of column 'month_start'" in caplog.text
    assert "2012-12-01: 15, 2013-01-15: 15" in caplog.text and "NULL: 15" in caplog.text
