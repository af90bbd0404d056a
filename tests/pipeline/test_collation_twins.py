"""Partition values MariaDB's default collation compares equal (``Key``/``key``,
``trail``/``trail ``) are refused by name, with the column's collation, before any work (no
model trained, nothing published); DuckDB and PostgreSQL compare bytes: every value is its own
partition there."""

from __future__ import annotations

import numpy as np
import pytest

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.partitions import PartitionValuesMerged
from impute_assets.store import ModelStore
from tests.factories import sample_frame, table_spec

VALUES = ["Key", "key", "trail", "trail ", "other"]


def test_collation_twins_are_refused_by_name(warehouse, unique_name, tmp_path):
    frame = sample_frame(rows=100).drop(columns=["month"])
    frame.insert(1, "part", np.resize(np.array(VALUES, dtype=object), len(frame)))
    warehouse.publish(frame, unique_name)
    spec = TableSpec.parse(
        table_spec(unique_name, exclude=[], partition={"column": "part", "kind": "dynamic"})
    )
    store = ModelStore(str(tmp_path / "models"))
    run = TableRun(spec, warehouse, store)
    if warehouse.dialect.name != "mysql":
        assert sorted(run.partition_keys()) == sorted(VALUES)
        return
    collation, _ = warehouse.collation_twins(unique_name, "part")
    with pytest.raises(PartitionValuesMerged) as refused:
        run.run()
    message = str(refused.value)
    assert f"partition column 'part' (collation {collation})" in message
    assert "'Key' = 'key'" in message and "'trail' = 'trail '" in message
    assert "'other'" not in message
    assert [p for p in (tmp_path / "models").rglob("*") if p.is_file()] == []  # nothing trained
    with warehouse.engine.connect() as conn:
        assert not warehouse.dialect.has_table(conn, spec.output_name, None)
