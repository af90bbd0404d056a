"""A fill publishes the source's column types and keeps a stored NaN that was not imputed."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import sample_frame, table_spec

COLUMNS = (
    "id INTEGER PRIMARY KEY, day DATE, g VARCHAR(8), x DOUBLE PRECISION, "
    "y DOUBLE PRECISION, z VARCHAR(8), w DOUBLE PRECISION"
)


def _types(engine: sa.Engine, table: str) -> dict[str, str]:
    query = sa.text(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = :t AND table_schema = current_schema()"
    )
    with engine.connect() as conn:
        return dict(conn.execute(query, {"t": table}).all())


@pytest.mark.parametrize("engine_name", ["duckdb", "postgres"])
def test_fill_keeps_source_types_and_stored_nan(engine_name, request, unique_name, tmp_path):
    url = request.getfixturevalue(f"{engine_name}_url")
    warehouse = Warehouse(url)
    frame = sample_frame(rows=90).drop(columns=["month"])
    frame.insert(1, "day", [f"2024-01-{1 + i % 28:02d}" for i in range(len(frame))])
    frame.loc[3, "x"] = float("nan")  # a stored NaN in a column that is not imputed
    names = [unique_name, f"{unique_name}_imputed", f"{unique_name}_imputed_audit"]
    try:
        with warehouse.engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE {unique_name} ({COLUMNS})"))
            rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
            rows[3]["x"] = float("nan")
            conn.execute(
                sa.text(
                    f"INSERT INTO {unique_name} VALUES (:id, CAST(:day AS DATE), :g, "
                    ":x, :y, :z, :w)"
                ),
                rows,
            )
        spec = TableSpec.parse({**table_spec(unique_name), "exclude": []})
        run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models"))).run()
        assert run.fills[0].cells_filled > 0
        assert _types(warehouse.engine, names[1]) == _types(warehouse.engine, unique_name)
        with warehouse.engine.connect() as conn:
            x = conn.execute(sa.text(f"SELECT x FROM {names[1]} WHERE id = 3")).scalar_one()
            query = f"SELECT count(*) FROM {names[1]} WHERE x IS NULL"
            nulls = conn.execute(sa.text(query)).scalar()
        assert x is not None and math.isnan(x)
        assert nulls == 0
    finally:
        with warehouse.engine.begin() as conn:
            for name in reversed(names):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        warehouse.close()


@pytest.mark.parametrize("engine_name", ["duckdb", "postgres"])
def test_decimal_and_timestamptz_targets_validate_and_publish(
    engine_name, request, unique_name, tmp_path
):
    """NUMERIC and TIMESTAMPTZ targets pass their range checks (as a frame on DuckDB, in SQL on
    PostgreSQL) and are published with their observed cells unchanged."""
    url = request.getfixturevalue(f"{engine_name}_url")
    warehouse = Warehouse(url)
    frame = sample_frame(rows=90).drop(columns=["month", "g", "z", "w"])
    frame["d"] = (frame["x"] * 100).round(2).astype(object)
    frame["t"] = pd.to_datetime(1_700_000_000 + frame["id"] * 3_600, unit="s", utc=True)
    frame.loc[frame.index % 7 == 0, "d"] = None
    frame.loc[frame.index % 9 == 0, "t"] = None
    names = [unique_name, f"{unique_name}_imputed", f"{unique_name}_imputed_audit"]
    try:
        with warehouse.engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"CREATE TABLE {unique_name} (id INTEGER PRIMARY KEY, "
                    "x DOUBLE PRECISION, y DOUBLE PRECISION, d NUMERIC(14, 2), "
                    "t TIMESTAMP WITH TIME ZONE)"
                )
            )
            rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
            conn.execute(sa.text(f"INSERT INTO {unique_name} VALUES (:id, :x, :y, :d, :t)"), rows)
        spec = TableSpec.parse(
            {**table_spec(unique_name), "columns": ["y", "d", "t"], "exclude": [], "fill": "all"}
        )
        (fill,) = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models"))).run().fills
        assert fill.validation.success, fill.validation.explain()
        published = warehouse.read(names[1]).set_index("id").sort_index()
        source = warehouse.read(unique_name).set_index("id").sort_index()
        assert published[["d", "t"]].notna().all().all()
        observed = source["d"].notna()
        assert (published.loc[observed, "d"] == source.loc[observed, "d"]).all()
        observed = source["t"].notna()
        assert (published.loc[observed, "t"] == source.loc[observed, "t"]).all()
    finally:
        with warehouse.engine.begin() as conn:
            for name in reversed(names):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        warehouse.close()
