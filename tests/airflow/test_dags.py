"""Real DAGs run with ``dag.test()`` on a real metadata database and real warehouses."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import Warehouse
from tests.airflow.conftest import CONN_ID, task_states, xcom
from tests.dagster.test_end_to_end import _assert_filled
from tests.factories import sample_frame, table_spec

#: Small tables keep each run to seconds; the tests check wiring, not accuracy.
ROWS = 160


def _drop(warehouse: Warehouse, table: str) -> None:
    with warehouse.engine.begin() as conn:
        for name in (table, f"{table}_imputed", f"{table}_imputed_audit"):
            sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
    warehouse.close()


def test_impute_table_operator_fills_and_returns_the_pipeline_summary(
    run_dag, duckdb_url, unique_name
):
    warehouse = Warehouse(duckdb_url)
    source = sample_frame(rows=ROWS)
    warehouse.publish(source, unique_name)
    spec = table_spec(unique_name)
    try:
        run = run_dag("impute_one_task", spec, duckdb_url, conf={"table": unique_name})
        assert run.state == "success"
        result = xcom(run, "impute")
        assert result["table"] == unique_name  # the templated table was rendered
        assert {c: m["decision"] for c, m in result["models"].items()} == dict.fromkeys(
            ["y", "z", "w"], "train"
        )
        assert all(m["holdout_score"] is not None for m in result["models"].values())
        fill = result["fill"]
        audit = _assert_filled(warehouse, spec, source)
        assert fill["rows"] == ROWS and fill["audit_rows"] == len(audit)
        assert fill["cells_filled"] == len(audit) == sum(c["filled"] for c in fill["columns"])
        assert fill["validation"]["success"] and fill["validation"]["engine"] == "dataframe"
        assert fill["model_versions"] == {c: m["version"] for c, m in result["models"].items()}
    finally:
        _drop(warehouse, unique_name)


def test_a_dry_run_task_publishes_nothing_and_previews_the_fills(run_dag, duckdb_url, unique_name):
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(sample_frame(rows=ROWS), unique_name)
    imputed = f"{unique_name}_imputed"
    try:
        run = run_dag("impute_dry_run", table_spec(unique_name), duckdb_url)
        assert run.state == "success"
        fill = xcom(run, "impute")["fill"]
        assert fill["dry_run"] and fill["preview_table"] == f"{imputed}__preview"
        assert fill["audit_rows"] == 0 and fill["cells_filled"] == fill["preview_rows"] > 0
        assert len(warehouse.read(f"{imputed}__preview")) == fill["cells_filled"]
        with warehouse.engine.connect() as conn:
            for name in (imputed, f"{imputed}_audit"):
                assert not warehouse.dialect.has_table(conn, name, None)
        assert all(c["coverage"] == 0.9 for c in fill["columns"])
    finally:
        with warehouse.engine.begin() as conn:
            sa.Table(f"{imputed}__preview", sa.MetaData()).drop(conn, checkfirst=True)
        _drop(warehouse, unique_name)


@pytest.mark.postgres
def test_train_and_fill_as_two_tasks_on_postgres_never_show_the_password(
    run_dag, postgres_url, unique_name, capfd
):
    password = f"pw-{unique_name}"  # the test server trusts local users: any password works
    url = sa.make_url(postgres_url).set(password=password).render_as_string(hide_password=False)
    warehouse = Warehouse(postgres_url)
    source = sample_frame(rows=ROWS)
    warehouse.publish(source, unique_name)
    spec = table_spec(unique_name)
    try:
        run = run_dag("impute_two_tasks", spec, url)
        assert run.state == "success"
        trained, filled = xcom(run, "train"), xcom(run, "fill")
        versions = {c: m["version"] for c, m in trained["models"].items()}
        assert set(versions) == {"y", "z", "w"}
        # The fill task used the models the training task stored.
        assert filled["fill"]["model_versions"] == versions
        assert filled["fill"]["validation"]["engine"] == "sql"  # validated inside PostgreSQL
        assert filled["fill"]["cells_filled"] == len(_assert_filled(warehouse, spec, source))
        assert _queues(run) == {"train": "gpu", "fill": "default"}
        logs = capfd.readouterr()
        assert "***" in logs.out + logs.err  # the masked URL was logged ...
        for text in (logs.out, logs.err, json.dumps(trained), json.dumps(filled)):
            assert password not in text  # ... the password never
    finally:
        _drop(warehouse, unique_name)


def test_failed_validation_fails_the_task_and_keeps_the_published_table(
    run_dag, duckdb_url, unique_name
):
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(sample_frame(rows=ROWS), unique_name)
    try:
        assert (
            run_dag(
                "impute_one_task", table_spec(unique_name), duckdb_url, conf={"table": unique_name}
            ).state
            == "success"
        )
        before = warehouse.read(f"{unique_name}_imputed")
        audit = warehouse.read(f"{unique_name}_imputed_audit")

        warehouse.publish(sample_frame(rows=ROWS, seed=1), unique_name)
        impossible = {
            "type": "expect_column_max_to_be_between",
            "kwargs": {"column": "w", "max_value": -100},
        }
        strict = table_spec(unique_name, validation={"expectations": [impossible]})
        run = run_dag("impute_one_task", strict, duckdb_url, conf={"table": unique_name})
        assert run.state == "failed" and task_states(run) == {"impute": "failed"}
        pd.testing.assert_frame_equal(warehouse.read(f"{unique_name}_imputed"), before)
        pd.testing.assert_frame_equal(warehouse.read(f"{unique_name}_imputed_audit"), audit)
    finally:
        _drop(warehouse, unique_name)


def test_new_rows_in_a_partition_queue_a_run_that_fills_that_partition(
    run_dag, sqlite_url, unique_name
):
    warehouse = Warehouse(sqlite_url)
    source = sample_frame(rows=ROWS)
    warehouse.publish(source, unique_name)
    spec = table_spec(unique_name, partition={"column": "month", "kind": "dynamic"}, exclude=[])
    try:
        # A loader announces rows in partition 2 of the source table's asset ...
        assert run_dag("load_rows", spec, sqlite_url, conf={"partition": "2"}).state == "success"
        # ... and Airflow queues a run of the DAG scheduled on that asset, for that partition.
        assert _pending_partition_runs("impute_on_new_data") == ["2"]

        run = run_dag("impute_on_new_data", spec, sqlite_url, conf={"partition": "2"})
        assert run.state == "success"
        fill = xcom(run, "impute")["fill"]
        assert fill["partition"] == "2" and fill["rows"] == int((source["month"] == 2).sum())
        assert set(warehouse.read(f"{unique_name}_imputed")["month"]) == {2}
        event = _asset_event(f"impute-assets://{CONN_ID}/{unique_name}_imputed", run.run_id)
        assert event.partition_key == "2"
        assert event.extra["cells_filled"] == fill["cells_filled"] > 0
    finally:
        _drop(warehouse, unique_name)


def _queues(run) -> dict[str, str]:
    from airflow import settings
    from airflow.models.taskinstance import TaskInstance

    with settings.Session() as session:
        tis = session.query(TaskInstance).filter_by(dag_id=run.dag_id, run_id=run.run_id).all()
        return {ti.task_id: ti.queue for ti in tis}


def _pending_partition_runs(dag_id: str) -> list[str]:
    """Partition keys Airflow has queued runs of ``dag_id`` for (not yet created)."""
    from airflow import settings
    from airflow.models.asset import AssetPartitionDagRun

    with settings.Session() as session:
        pending = (
            session.query(AssetPartitionDagRun)
            .filter_by(target_dag_id=dag_id, created_dag_run_id=None)
            .all()
        )
        return sorted(p.partition_key for p in pending)


def _asset_event(uri: str, run_id: str):
    from airflow import settings
    from airflow.models.asset import AssetEvent, AssetModel

    with settings.Session() as session:
        asset = session.query(AssetModel).filter_by(uri=uri).one()
        return session.query(AssetEvent).filter_by(asset_id=asset.id, source_run_id=run_id).one()
