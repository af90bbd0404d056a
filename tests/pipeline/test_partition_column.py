"""The partition column is never imputed: its NULL rows are a partition of their own, and a
guessed value would move a row to another partition. Detected with gaps, it once became a
target, and the NULL partition's fill was refused ("1 frame rows lie outside partition None";
found by fuzzing partitioned tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.store import ModelStore
from tests.factories import TINY_MODEL
from tests.pipeline.conftest import linear_rows

ROWS = 40


def _publish(warehouse, name: str) -> pd.DataFrame:
    frame = linear_rows(ROWS, gap_every=3)
    frame.insert(1, "part", np.resize(np.array(["a", "b", None, "c"], dtype=object), ROWS))
    warehouse.publish(frame, name)
    return frame


def test_a_partition_column_with_nulls_is_left_and_every_partition_filled(
    warehouse, unique_name, tmp_path
):
    frame = _publish(warehouse, unique_name)
    spec = TableSpec(
        table=unique_name,
        key=["id"],
        model=TINY_MODEL,
        fill="all",
        partition={"column": "part"},
        # ten rows a partition: a tiny model's fills may pass a partition's own range, which
        # this test is not about
        validation={"tolerances": {"range_mostly": 0.0}},
    )
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
    assert run.columns() == ["y"]
    record = run.run()
    assert sorted(f.partition for f in record.fills) == ["__null__", "a", "b", "c"]
    output = warehouse.read(spec.output_name).sort_values("id").reset_index(drop=True)
    assert len(output) == ROWS and output["y"].notna().all()
    assert output["part"].isna().tolist() == frame["part"].isna().tolist()
    null_fill = next(f for f in record.fills if f.partition == "__null__")
    left = {c.column: c.reason for c in null_fill.left_columns}
    assert "partition column" in left["part"]


def test_listing_the_partition_column_is_refused(warehouse, unique_name, tmp_path):
    _publish(warehouse, unique_name)
    spec = TableSpec(
        table=unique_name, key=["id"], columns=["y", "part"], partition={"column": "part"}
    )
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
    with pytest.raises(ValueError, match="'part', the partition column"):
        run.columns()
