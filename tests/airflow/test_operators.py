"""Operator construction: specs checked when the DAG file is parsed, outlets, partitions."""

from __future__ import annotations

import pytest

from impute_assets.airflow import FillTableOperator, TrainModelsOperator, imputed_asset
from impute_assets.pipeline import SpecError, TableSpec

SPEC = {"table": "flights", "key": ["id"], "partition": {"column": "month"}}


def test_a_bad_spec_fails_when_the_dag_is_parsed_naming_table_and_key():
    with pytest.raises(SpecError, match=r"table 'flights'.*model"):
        FillTableOperator(task_id="fill", spec={**SPEC, "model": {"epochs": 0}})


def test_fills_update_the_imputed_table_asset_and_training_does_not():
    spec = TableSpec.parse(SPEC)
    assert FillTableOperator(task_id="fill", spec=SPEC, conn_id="w").outlets == [
        imputed_asset(spec, "w")
    ]
    assert TrainModelsOperator(task_id="train", spec=SPEC, conn_id="w").outlets == []
    # a dry run publishes nothing, so it updates no asset
    assert FillTableOperator(task_id="fill", spec=SPEC, conn_id="w", dry_run=True).outlets == []


@pytest.mark.parametrize(
    ("partition", "run_partition", "expected"),
    [("3", "7", "3"), ("", "7", "7"), (None, None, None)],
)
def test_the_partition_is_the_tasks_then_the_runs(partition, run_partition, expected):
    op = FillTableOperator(task_id="fill", spec=SPEC, partition=partition)
    # Airflow's context holds the run's partition_key (None unless asset-partitioned).
    assert op.partition_key(TableSpec.parse(SPEC), {"partition_key": run_partition}) == expected


def test_a_partition_for_an_unpartitioned_table_names_the_table():
    spec = {"table": "weather", "key": ["id"]}
    op = FillTableOperator(task_id="fill", spec=spec, partition="3")
    with pytest.raises(ValueError, match="table 'weather': partition '3'"):
        op.partition_key(TableSpec.parse(spec), {"partition_key": None})


def test_the_models_xcom_names_a_column_left_without_a_model(duckdb_url, tmp_path):
    from impute_assets.pipeline import TableRun
    from impute_assets.store import ModelStore
    from impute_assets.warehouse import Warehouse
    from tests.factories import TINY_MODEL
    from tests.pipeline.conftest import linear_rows

    rows = linear_rows(60, gap_every=5)
    rows["note"] = [f"customer {i} called about the invoice of week {i % 7}" for i in range(60)]
    rows.loc[rows.index % 3 == 0, "note"] = None
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(rows, "calls")
    spec = {"table": "calls", "key": ["id"], "model": TINY_MODEL}
    run = TableRun(TableSpec.parse(spec), warehouse, ModelStore(str(tmp_path / "models")))
    models = TrainModelsOperator(task_id="train", spec=spec).train(run, run.columns())
    assert models["y"]["decision"] == "train" and models["y"]["version"]
    assert models["note"]["decision"] == "left" and models["note"]["version"] is None
    assert "free text" in models["note"]["reason"]
