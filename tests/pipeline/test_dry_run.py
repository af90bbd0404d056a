"""A dry run does everything but publish: the output and audit tables stay as they were, the
would-be fills (audit rows with intervals and sets) go to the preview table. Every engine."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.summary import fill_line
from impute_assets.store import ModelStore
from impute_assets.warehouse import AUDIT_COLUMNS, Warehouse
from tests.factories import sample_frame, table_spec
from tests.warehouse.conftest import drop_table


@pytest.fixture
def warehouse(any_warehouse_url: str, unique_name: str) -> Iterator[Warehouse]:
    """The engine's warehouse; the test's tables are dropped afterwards."""
    wh = Warehouse(any_warehouse_url)
    yield wh
    for suffix in ("", "_imputed", "_imputed_audit", "_imputed__preview"):
        drop_table(wh, unique_name + suffix)
    wh.sweep_staging()
    wh.close()


def _exists(wh: Warehouse, name: str) -> bool:
    with wh.engine.connect() as conn:
        return wh.dialect.has_table(conn, name, None)


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by).reset_index(drop=True)


def test_dry_run_leaves_output_and_audit_untouched(warehouse, unique_name, tmp_path):
    name = unique_name
    warehouse.publish(sample_frame(rows=120), name)
    spec = TableSpec.parse(table_spec(name))
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))

    first = run.run(dry_run=True)
    (fill,) = first.fills
    assert fill.dry_run and fill.publish is None and fill.audit_rows == 0
    assert not _exists(warehouse, f"{name}_imputed")
    assert not _exists(warehouse, f"{name}_imputed_audit")
    preview = warehouse.read(f"{name}_imputed__preview")
    assert list(preview.columns) == list(AUDIT_COLUMNS)
    assert len(preview) == fill.preview_rows == fill.cells_filled > 0
    assert "DRY RUN" in fill_line(fill) and f"{name}_imputed__preview" in fill_line(fill)

    run.run()  # the real publish
    output = _sorted(warehouse.read(f"{name}_imputed"), ["id"])
    audit = _sorted(warehouse.read(f"{name}_imputed_audit"), ["row_key", "column_name"])
    numeric, labels = audit[audit["column_name"] == "y"], audit[audit["column_name"] == "z"]
    assert numeric["lower"].notna().all() and numeric["upper"].notna().all()
    assert (numeric["lower"].astype(float) <= numeric["imputed_value"].astype(float)).all()
    sets = labels["prediction_set"].map(json.loads)  # most probable first: the fill, if any
    assert all(not s or str(s[0]) == v for s, v in zip(sets, labels["imputed_value"], strict=True))
    assert sets.map(len).mean() > 0

    # new gaps in the source: a publish would change both tables, a dry run changes neither
    changed = sample_frame(rows=120, seed=1)
    changed["id"] = range(120)
    warehouse.publish(changed, name)
    again = run.run(dry_run=True).fills[0]
    assert again.dry_run and again.cells_filled > 0
    pd.testing.assert_frame_equal(_sorted(warehouse.read(f"{name}_imputed"), ["id"]), output)
    pd.testing.assert_frame_equal(
        _sorted(warehouse.read(f"{name}_imputed_audit"), ["row_key", "column_name"]), audit
    )
    assert len(warehouse.read(f"{name}_imputed__preview")) == again.cells_filled
