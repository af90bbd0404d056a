"""``confidence:`` and the tolerances work together: cells a threshold leaves are expected by
the suite (counted as left, with the reason), not a validation failure under the default
``allowed_missing: 0``. On DuckDB, PostgreSQL and MariaDB."""

from __future__ import annotations

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.store import ModelStore
from tests.factories import sample_frame, table_spec


def test_cells_left_by_a_confidence_threshold_pass_validation(warehouse, unique_name, tmp_path):
    source = sample_frame(rows=160)
    warehouse.publish(source, unique_name)
    spec = TableSpec.parse(table_spec(unique_name, columns=["z"], fill="all", confidence=0.999))
    record = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models"))).run()
    (fill,) = record.fills
    (column,) = fill.columns
    assert column.left > 0 and column.left + column.filled == column.missing
    assert sum(column.reasons.values()) == column.left, column.reasons
    assert fill.validation.success, fill.validation.explain()
    published = warehouse.read(spec.output_name)
    assert int(published["z"].isna().sum()) == column.left
