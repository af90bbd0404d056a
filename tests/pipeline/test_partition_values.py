"""Partition values that are hard on SQL and on the audit: ``%`` (doubled twice on GE's SQL
path), values over 255 characters, NULL and the empty string (each under a key of its own: no
row is left out). Each publishes, and its published check sees its rows, on DuckDB, PostgreSQL
and MariaDB."""

from __future__ import annotations

import numpy as np

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.partitions import EMPTY_KEY, NULL_KEY
from impute_assets.pipeline.suite import check_published
from impute_assets.store import ModelStore
from tests.factories import sample_frame, table_spec

HARD = ["100%", "%s", "%(x)s", "p" * 300, None, ""]
KEYS = ["100%", "%s", "%(x)s", "p" * 300, NULL_KEY, EMPTY_KEY]


def test_hard_partition_values_publish_and_pass_their_checks(warehouse, url, unique_name, tmp_path):
    frame = sample_frame(rows=240).drop(columns=["month"])
    frame.insert(1, "part", np.resize(np.array(HARD, dtype=object), len(frame)))
    warehouse.publish(frame, unique_name)
    spec = TableSpec.parse(
        table_spec(unique_name, exclude=[], partition={"column": "part", "kind": "dynamic"})
    )
    store = ModelStore(str(tmp_path / "models"))
    run = TableRun(spec, warehouse, store)
    assert sorted(run.partition_keys()) == sorted(KEYS)
    record = run.run()
    assert sum(f.rows for f in record.fills) == len(frame)
    assert sorted(warehouse.read(spec.output_name)["id"]) == sorted(frame["id"])  # every row
    audit = warehouse.read(spec.audit_name)
    assert len(audit) == sum(f.cells_filled for f in record.fills) > 0
    assert set(audit["partition"]) == set(KEYS)
    again = run.fill_and_publish(["y", "z", "w"], NULL_KEY)  # replaces only the NULL rows
    assert len(warehouse.read(spec.output_name)) == len(frame)
    assert (
        len(warehouse.read(spec.audit_name))
        == len(audit)
        - next(f.cells_filled for f in record.fills if f.partition == NULL_KEY)
        + again.cells_filled
    )
    for key in KEYS:
        result = check_published(spec, warehouse, store, ["y", "z", "w"], key)
        rows = next(o for o in result.results if o.type == "expect_table_row_count_to_equal")
        assert rows.success and rows.observed_value == 40, (key, rows)
