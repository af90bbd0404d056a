"""Every run that fills checks the stored model against the rows it fills: after the source's
vocabulary, range or types change, a fill-only run refuses (saying what to run) and a full run
retrains; no stale value is ever published. On DuckDB, PostgreSQL and MariaDB."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.model_fit import StaleModels
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import sample_frame, table_spec


def _run(warehouse: Warehouse, name: str, store: ModelStore, **overrides) -> TableRun:
    spec = TableSpec.parse(table_spec(name, **{"columns": ["z"], **overrides}))
    return TableRun(spec, warehouse, store)


def _output(warehouse: Warehouse, name: str, column: str):
    return warehouse.read(f"{name}_imputed")[column]


def _exists(warehouse: Warehouse, name: str) -> bool:
    with warehouse.engine.connect() as conn:
        return name in warehouse.dialect.table_names(conn, None)


def test_new_target_vocabulary_refuses_fill_only_and_retrains_full_runs(
    warehouse, unique_name, tmp_path
):
    source = sample_frame(rows=120)
    warehouse.publish(source, unique_name)
    store = ModelStore(str(tmp_path / "models"))
    run = _run(warehouse, unique_name, store)
    run.train_or_reuse(["z"])
    with warehouse.engine.begin() as conn:  # the source now says green/yellow, never red/blue
        table = warehouse.dialect.qualified(unique_name, None)
        conn.execute(
            sa.text(
                f"UPDATE {table} SET z = CASE WHEN z = 'red' THEN 'green' "
                "ELSE 'yellow' END WHERE z IS NOT NULL"
            )
        )
    with pytest.raises(StaleModels, match="never seen in training") as refused:
        run.fill_and_publish(["z"])
    assert "'z'" in str(refused.value) and "--force-retrain" in str(refused.value)
    assert not _exists(warehouse, f"{unique_name}_imputed")

    record = run.run()
    assert record.training["z"].decision == "train"
    assert "target 'z'" in record.training["z"].reason
    filled = record.fills[0].imputed["z"]
    assert filled.sum() > 0
    assert set(_output(warehouse, unique_name, "z")) <= {"green", "yellow"}


def test_a_retyped_input_refuses_the_fill_naming_the_column(warehouse, unique_name, tmp_path):
    source = sample_frame(rows=120)
    warehouse.publish(source, unique_name)
    store = ModelStore(str(tmp_path / "models"))
    run = _run(warehouse, unique_name, store, columns=["y"])
    run.train_or_reuse(["y"])
    retyped = source.assign(x=source["x"].map(lambda v: f"{v:.3f} mm"))
    with warehouse.engine.begin() as conn:  # the source is rebuilt: x is text now
        conn.execute(sa.text(f"DROP TABLE {warehouse.dialect.qualified(unique_name, None)}"))
    warehouse.publish(retyped, unique_name)
    with pytest.raises(StaleModels, match=r"column 'x' was numeric when the model was trained"):
        run.fill_and_publish(["y"])
    assert not _exists(warehouse, f"{unique_name}_imputed")


def test_a_partition_observing_a_new_range_is_not_filled_with_the_old_one(
    warehouse, unique_name, tmp_path
):
    source = sample_frame(rows=160, months=(1, 2))
    warehouse.publish(source, unique_name)
    store = ModelStore(str(tmp_path / "models"))
    run = _run(
        warehouse,
        unique_name,
        store,
        columns=["y"],
        exclude=[],
        partition={"column": "month", "kind": "dynamic"},
    )
    run.train_or_reuse(["y"])
    with warehouse.engine.begin() as conn:  # month 2 now observes 18-31, the model saw -9..9
        table = warehouse.dialect.qualified(unique_name, None)
        conn.execute(
            sa.text(f"UPDATE {table} SET y = 18 + mod(id, 14) WHERE month = 2 AND y IS NOT NULL")
        )
    with pytest.raises(StaleModels, match=r"(?s)partition '2'.*outside the training range"):
        run.fill_and_publish(["y"], "2")
    run.fill_and_publish(["y"], "1")  # the unchanged partition still fills
    published = warehouse.read(f"{unique_name}_imputed")
    assert set(published["month"]) == {1}
    assert np.isfinite(published["y"].astype(float)).all()
