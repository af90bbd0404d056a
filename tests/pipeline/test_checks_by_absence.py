"""Never green by absence: a check of the published table says what it could not check."""

from __future__ import annotations

import shutil

import numpy as np

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.suite import check_published
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import sample_frame, table_spec

LENIENT = {"tolerances": {"kl_divergence": 1.0, "ks_statistic": 1.0, "mean": 1.0, "std": 1.0}}


def _published(url: str, table: str, store: ModelStore, **overrides) -> TableSpec:
    """``sample_frame`` published and run, its ``w`` missing in 70% of the rows."""
    warehouse = Warehouse(url)
    frame = sample_frame(rows=160)
    frame.loc[np.arange(160) % 10 < 7, "w"] = None
    warehouse.publish(frame, table)
    spec = TableSpec.parse(table_spec(table, validation=LENIENT, **overrides))
    TableRun(spec, warehouse, store).run()
    return spec


def test_a_column_its_gates_leave_is_reported_not_checked(duckdb_url, unique_name, tmp_path):
    store = ModelStore(str(tmp_path / "models"))
    spec = _published(duckdb_url, unique_name, store)  # w: mostly missing, so left whole
    result = check_published(spec, Warehouse(duckdb_url), store, ["y", "z", "w"])
    assert result.success and not result.complete
    assert result.skipped["w"].startswith("left unfilled (missing in most rows")
    assert "y" not in result.skipped and "z" not in result.skipped
    assert "- skipped: w: left unfilled" in result.explain()


def test_columns_without_a_stored_model_are_reported_not_dropped(duckdb_url, unique_name, tmp_path):
    store = ModelStore(str(tmp_path / "models"))
    spec = _published(duckdb_url, unique_name, store, fill="all")
    shutil.rmtree(tmp_path / "models")  # a check pod pointed at the wrong store
    empty = ModelStore(str(tmp_path / "models"))
    result = check_published(spec, Warehouse(duckdb_url), empty, ["y", "z", "w"])
    assert not result.complete
    assert set(result.skipped) == {"y", "z", "w"}
    assert all(why.startswith("no stored model") for why in result.skipped.values())


def test_an_empty_table_is_not_checked_and_says_so(duckdb_url, unique_name, tmp_path):
    store = ModelStore(str(tmp_path / "models"))
    spec = _published(duckdb_url, unique_name, store, fill="all")
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(sample_frame(rows=160).iloc[:0], unique_name)  # the source emptied
    result = check_published(spec, warehouse, store, ["y", "z", "w"])
    assert not result.complete
    assert result.skipped == {"table": "no rows: nothing was filled or checked"}


def test_a_mean_fill_is_judged_against_the_observed_values_not_itself(
    duckdb_url, unique_name, tmp_path
):
    frame = sample_frame(rows=200)
    frame.loc[np.arange(200) % 2 == 0, "w"] = None  # half of w filled at one value
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(frame, unique_name)
    store = ModelStore(str(tmp_path / "models"))
    spec = TableSpec.parse(
        table_spec(unique_name, fill="all", column_model={"w": {"candidates": ["mean_mode"]}})
    )
    TableRun(spec, warehouse, store).run()
    result = check_published(spec, warehouse, store, ["y", "z", "w"], check="distribution")
    assert any(
        r.column == "w" and r.type == "expect_column_stdev_to_be_between" for r in result.warnings
    )
