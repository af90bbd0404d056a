"""The whole path with real Dagster, torch, Great Expectations and warehouses."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.dagster import ImputationMetadata, build_imputation_defs
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import (
    check_evaluations,
    decisions,
    materialize,
    metadata_by_asset,
    reported,
)
from tests.factories import URL_ENV, sample_frame, table_spec


def _assert_filled(warehouse: Warehouse, spec: dict, source: pd.DataFrame) -> pd.DataFrame:
    table = spec["table"]
    published = warehouse.read(f"{table}_imputed").sort_values("id").reset_index(drop=True)
    source = source.sort_values("id").reset_index(drop=True)
    assert len(published) == len(source)
    for column in source.columns:
        observed = source[column].notna()
        pd.testing.assert_series_equal(
            published.loc[observed, column].astype(object),
            source.loc[observed, column].astype(object),
            check_names=False,
        )
    audit = warehouse.read(f"{table}_imputed_audit")
    filled = int(
        (published[["y", "z", "w"]].notna() & source[["y", "z", "w"]].isna()).to_numpy().sum()
    )
    assert filled > 0 and len(audit) == filled
    return audit


def _end_to_end(url: str, table: str, tmp_path, rows: int = 240, rerun: bool = True) -> None:
    """Materialize everything; with ``rerun``, a second run must reuse every model."""
    warehouse = Warehouse(url)
    source = sample_frame(rows=rows)
    warehouse.publish(source, table)
    spec = table_spec(table)
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
    try:
        result = materialize(defs)
        assert result.success
        checks = check_evaluations(result)
        # every invariant holds; w (noise) is left whole by its gate (then the check says
        # so and warns) or in its low-confidence cells
        expectations = checks["expectations"]
        skipped = ImputationMetadata.from_metadata(expectations.metadata).skipped or {}
        assert set(skipped) <= {"w"} and all(
            w.startswith("left unfilled") for w in skipped.values()
        )
        assert expectations.passed == (not skipped)
        if skipped:  # a column the check could not judge warns; it never blocks downstream
            assert expectations.severity.value == "WARN"
        assert checks["missing_values"].passed is False  # WARN: the source has gaps
        assert checks["missing_values"].description.startswith("warn: ")
        ran = ImputationMetadata.from_metadata(checks["expectations"].metadata).engine
        in_warehouse = Warehouse(url).engine.dialect.name != "duckdb"
        assert ran.startswith("in the warehouse" if in_warehouse else "as a DataFrame")
        meta = metadata_by_asset(result)[f"{table}_imputed"]
        assert meta["dagster/row_count"] == len(source)
        assert meta["dagster/table_name"] == f"{table}_imputed"
        assert "dagster/column_lineage" in meta
        record = reported(result)[f"{table}_imputed"]
        assert record.plots and "| y | y, " in str(record.lineage)  # y's model reads y's inputs
        assert "| held-out | spread | mean/mode |" in str(record.columns)  # per column
        # every left cell has a reason (w, a noise column, may clear its gate and leave none)
        assert sum(record.left_reasons.get("w", {}).values()) == int(
            warehouse.read(f"{table}_imputed")["w"].isna().sum()
        )
        model = reported(result)[f"{table}/models/y"]
        assert f"{model.holdout_score:.4g}" in str(record.columns)
        audit = _assert_filled(warehouse, spec, source)
        assert record.cells_filled == len(audit)

        if rerun:
            again = materialize(build_imputation_defs([spec], model_store=str(tmp_path / "models")))
            assert set(decisions(again).values()) == {"reuse"}
    finally:
        with warehouse.engine.begin() as conn:
            for name in (table, f"{table}_imputed", f"{table}_imputed_audit"):
                sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
        warehouse.close()


def test_end_to_end_duckdb(warehouse_url, unique_name, tmp_path):
    _end_to_end(warehouse_url, unique_name, tmp_path)


@pytest.mark.postgres
def test_end_to_end_postgres(postgres_url, unique_name, tmp_path, monkeypatch):
    monkeypatch.setenv(URL_ENV, postgres_url)
    _end_to_end(postgres_url, unique_name, tmp_path)


def test_end_to_end_sqlite(sqlite_url, unique_name, tmp_path, monkeypatch):
    monkeypatch.setenv(URL_ENV, sqlite_url)
    _end_to_end(sqlite_url, unique_name, tmp_path, rows=200, rerun=False)


@pytest.mark.mysql
def test_end_to_end_mysql(mysql_url, unique_name, tmp_path, monkeypatch):
    monkeypatch.setenv(URL_ENV, mysql_url)
    _end_to_end(mysql_url, unique_name, tmp_path, rows=200, rerun=False)


def test_failed_validation_leaves_published_table_untouched(warehouse_url, unique_name, tmp_path):
    warehouse = Warehouse(warehouse_url)
    warehouse.publish(sample_frame(), unique_name)
    store = str(tmp_path / "models")
    materialize(build_imputation_defs([table_spec(unique_name)], model_store=store))
    before = warehouse.read(f"{unique_name}_imputed")

    warehouse.publish(sample_frame(seed=1), unique_name)
    impossible = {
        "type": "expect_column_max_to_be_between",
        "kwargs": {"column": "w", "max_value": -100},
    }
    strict = table_spec(unique_name, validation={"expectations": [impossible]})
    result = materialize(build_imputation_defs([strict], model_store=store), raise_on_error=False)
    assert not result.success
    pd.testing.assert_frame_equal(warehouse.read(f"{unique_name}_imputed"), before)


def test_partitioned_check_runs_in_the_warehouse_on_sqlite(
    sqlite_url, unique_name, tmp_path, monkeypatch
):
    monkeypatch.setenv(URL_ENV, sqlite_url)
    warehouse = Warehouse(sqlite_url)
    warehouse.publish(sample_frame(rows=160), unique_name)
    # About where the check runs, not the gates: every column filled, whatever its gate says.
    spec = table_spec(
        unique_name, partition={"column": "month", "kind": "dynamic"}, exclude=[], fill="all"
    )
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(f"{unique_name}__partitions", ["1", "2"])
    materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    imputed = dg.AssetKey(f"{unique_name}_imputed")
    materialize(defs, dg.AssetSelection.assets(imputed), partition_key="1", instance=instance)
    run = materialize(
        defs,
        dg.AssetSelection.assets(imputed) | dg.AssetSelection.checks_for_assets(imputed),
        partition_key="2",
        instance=instance,
    )
    check = check_evaluations(run)["expectations"]
    record = ImputationMetadata.from_metadata(check.metadata)
    assert check.passed and str(record.engine).startswith("in the wareh")
    # The suite expects partition 2's row count: only its rows were validated.
    assert "expect_table_row_count" in str(record.expectations)
    assert set(warehouse.read(f"{unique_name}_imputed")["month"]) == {1, 2}
