"""Columns the engine reads as free text or ids (notes, uuids held as text) have no model: a
table that has them with gaps runs, its other gaps are filled, and they are left as read and
reported with the reason. They once failed the table's training (a ValueError from the core:
"kind 'text', which is not imputed"), on every engine and through every face."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.summary import model_rows
from impute_assets.store import ModelStore
from tests.factories import TINY_MODEL
from tests.pipeline.conftest import linear_rows

ROWS = 60


def _table(warehouse, name: str) -> pd.DataFrame:
    frame = linear_rows(ROWS, gap_every=5).assign(
        note=[f"customer {i} called about the invoice of week {i % 7}" for i in range(ROWS)],
        ref=[str(uuid.UUID(int=i * 7919)) for i in range(ROWS)],
    )
    frame.loc[frame.index % 3 == 0, ["note", "ref"]] = None
    warehouse.publish(frame, name)
    return frame


def test_free_text_and_text_ids_with_gaps_are_left_and_the_rest_filled(
    warehouse, unique_name, tmp_path
):
    _table(warehouse, unique_name)
    spec = TableSpec(table=unique_name, key=["id"], model=TINY_MODEL, fill="all")
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
    assert {"y", "note", "ref"} <= set(run.columns())  # gaps counted in SQL: all candidates
    record = run.run()
    assert [m.column for m in record.training.models] == ["y"]
    assert set(record.training.left) == {"note", "ref"}
    rows = {r["column"]: r for r in model_rows(record.training)}
    assert rows["note"]["decision"] == "left" and "free text" in rows["note"]["reason"]
    fill = record.fills[0]
    assert fill.cells_filled == ROWS // 5
    left = {c.column: c for c in fill.left_columns}
    assert set(left) == {"note", "ref"}
    assert all(c.left == ROWS // 3 and "free text" in c.reason for c in left.values())
    source = warehouse.read(unique_name).sort_values("id").reset_index(drop=True)
    output = warehouse.read(spec.output_name).sort_values("id").reset_index(drop=True)
    for column in ("note", "ref"):  # passed through exactly, gaps and all
        assert output[column].fillna("<NULL>").tolist() == source[column].fillna("<NULL>").tolist()
    assert output["y"].notna().all()


def test_listing_a_free_text_column_fails_naming_it_and_why(warehouse, unique_name, tmp_path):
    _table(warehouse, unique_name)
    spec = TableSpec(table=unique_name, key=["id"], model=TINY_MODEL, columns=["y", "note"])
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
    with pytest.raises(ValueError, match=rf"table '{unique_name}'.*note: free text"):
        run.train_or_reuse(run.columns())
