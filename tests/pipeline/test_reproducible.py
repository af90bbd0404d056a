"""A fixed seed and identical data give identical fills: the training sample is the same rows in
the same order on every read (it was ``ORDER BY random()``, which reordered the rows each run
and so changed the seeded splits and the models). On DuckDB, SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import sample_frame, table_spec

ENGINES = pytest.mark.parametrize("url", ["duckdb", "sqlite", "postgres", "mysql"], indirect=True)


@ENGINES
def test_a_sample_is_the_same_rows_in_the_same_order(warehouse, unique_name):
    warehouse.publish(sample_frame(rows=300), unique_name)
    first = warehouse.read(unique_name, sample=120)
    assert len(first) == 120 and first["id"].is_unique
    assert first.equals(warehouse.read(unique_name, sample=120))
    assert not first["id"].is_monotonic_increasing  # still spread over the table
    whole = warehouse.read(unique_name, sample=1000)
    assert whole.equals(warehouse.read(unique_name, sample=1000)) and len(whole) == 300


@ENGINES
def test_a_table_without_primary_key_is_sampled_by_its_declared_key(warehouse, unique_name):
    """Ordered by the key alone, the sample keeps its rows when other values change (ordered by
    every column, as without a key, a changed value moves its row in or out)."""
    frame = sample_frame(rows=300)
    warehouse.publish(frame, unique_name)
    first = warehouse.read(unique_name, sample=120, sample_key=["id"])
    assert first["id"].is_unique and not first["id"].is_monotonic_increasing
    warehouse.publish(frame.assign(w=frame["w"] + 1.0), unique_name)
    again = warehouse.read(unique_name, sample=120, sample_key=["id"])
    assert again["id"].tolist() == first["id"].tolist()
    by_every_column = warehouse.read(unique_name, sample=120)
    assert set(by_every_column["id"]) != set(first["id"])


@ENGINES
def test_two_trainings_with_one_seed_fill_identically(warehouse, unique_name, tmp_path):
    warehouse.publish(sample_frame(rows=200), unique_name)
    spec = TableSpec.parse(table_spec(unique_name))
    fills = []
    for attempt in ("a", "b"):
        record = TableRun(spec, warehouse, ModelStore(str(tmp_path / attempt))).run()
        assert set(record.training.trained) == {"y", "z", "w"}
        fills.append(record.fills[0].filled.sort_values("id").reset_index(drop=True))
    assert fills[0].equals(fills[1])


def test_the_order_columns_are_asked_in_does_not_change_the_models(
    duckdb_url, unique_name, tmp_path
):
    """Dagster hands the models asset its selected columns as a set, in an order that changes
    from process to process; trained in the table's order whatever the order asked, the same
    table gives the same models and the same fills (a msleep run filled 55, 32, 5 and 28
    cells on four launches before)."""
    warehouse = Warehouse(duckdb_url)
    warehouse.publish(sample_frame(rows=200), unique_name)
    spec = TableSpec.parse(table_spec(unique_name))
    fills = []
    for attempt, columns in (("a", ["y", "z", "w"]), ("b", ["w", "z", "y"])):
        run = TableRun(spec, warehouse, ModelStore(str(tmp_path / attempt)))
        models = run.train_or_reuse(columns)
        fills.append(
            (
                {c: (models[c].model, models[c].holdout_score) for c in columns},
                run.fill_and_publish(columns).filled.sort_values("id").reset_index(drop=True),
            )
        )
    assert fills[0][0] == fills[1][0]
    assert fills[0][1].equals(fills[1][1])
