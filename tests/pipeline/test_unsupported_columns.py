"""Columns of types the engine cannot impute (uuid, json, arrays, set, struct, list, map, ...)
are neither targets nor inputs: discovered without ``columns``, the table runs, its numeric gaps
are filled, those columns pass through exactly and are reported as left, with the reason."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.plan import UnknownColumns, check_declared_columns
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import TINY_MODEL

#: Per engine: nullable columns of unsupported types, each with (value, NULL) literals.
ODD = {
    "postgresql": {
        "uid": ("uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"),
        "doc": ("jsonb", "'{\"a\": [1, 2]}'"),
        "tags": ("text[]", "ARRAY['x', 'y']"),
        "span": ("interval", "'1 day'"),
    },
    "mysql": {
        "doc": ("JSON", "'{\"a\": [1, 2]}'"),
        "flags": ("SET('x','y')", "'x,y'"),
    },
    "duckdb": {
        "uid": ("UUID", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"),
        "rec": ("STRUCT(a INTEGER, b VARCHAR)", "{'a': 1, 'b': 'x'}"),
        "items": ("INTEGER[]", "[1, 2]"),
        "pairs": ("MAP(VARCHAR, INTEGER)", "MAP {'k': 1}"),
        "level": ("ENUM('lo', 'hi')", "'hi'"),
    },
}
ROWS = 80
#: The text each engine renders a cell as, compared before and after.
AS_TEXT = {
    "postgresql": "CAST({} AS TEXT)",
    "mysql": "CAST({} AS CHAR)",
    "duckdb": "CAST({} AS VARCHAR)",
}


def _create(warehouse: Warehouse, table: str) -> dict[str, tuple[str, str]]:
    """A table: id, x, y = 2x with gaps, and every odd column NULL on every third row."""
    odd = ODD[warehouse.dialect.name]
    q = warehouse.dialect.preparer.quote
    double = "DOUBLE" if warehouse.dialect.name != "postgresql" else "DOUBLE PRECISION"
    columns = ", ".join(f"{q(c)} {t}" for c, (t, _) in odd.items())
    rng = np.random.default_rng(0)
    rows = []
    for i in range(ROWS):
        x = float(rng.normal())
        y = "NULL" if i % 5 == 0 else repr(2 * x)
        values = ", ".join("NULL" if i % 3 == 0 else v for _, v in odd.values())
        rows.append(f"({i}, {x!r}, {y}, {values})")
    with warehouse.engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {q(table)} (id INTEGER PRIMARY KEY, x {double}, y {double}, {columns})"
        )
        conn.exec_driver_sql(f"INSERT INTO {q(table)} VALUES {', '.join(rows)}")
    return odd


def _cells(warehouse: Warehouse, table: str, columns: list[str]) -> list[tuple]:
    q = warehouse.dialect.preparer.quote
    rendered = ", ".join(AS_TEXT[warehouse.dialect.name].format(q(c)) for c in columns)
    with warehouse.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT {rendered} FROM {q(table)} ORDER BY id").all()


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "mysql"])
@pytest.mark.filterwarnings("ignore::impute_assets.warehouse.UnsupportedTypeWarning")
def test_unsupported_columns_are_left_and_pass_through(engine, request, unique_name, tmp_path):
    warehouse = Warehouse(request.getfixturevalue(f"{engine}_url"))
    names = [unique_name, f"{unique_name}_imputed", f"{unique_name}_imputed_audit"]
    try:
        odd = _create(warehouse, unique_name)
        spec = TableSpec(table=unique_name, key=["id"], model=TINY_MODEL)  # no columns
        run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
        missing = run.detect()
        assert set(missing.unsupported) == set(odd)
        assert run.columns(missing) == ["y"]  # the odd columns are never targets
        record = run.run()
        (model,) = record.training.models
        assert set(model.inputs) == {"x"}  # ... nor inputs (id is the key)
        fill = record.fills[0]
        assert fill.cells_filled == ROWS // 5
        left = {c.column: c for c in fill.left_columns}
        assert set(left) == set(odd)
        assert all(c.left == len(range(0, ROWS, 3)) for c in left.values())
        assert all(
            f"type {odd[c][0].split('(')[0]}".lower() in r.reason.lower() for c, r in left.items()
        )
        assert fill.cells_left == sum(c.left for c in left.values())
        assert _cells(warehouse, names[1], list(odd)) == _cells(warehouse, unique_name, list(odd))
    finally:
        with warehouse.engine.begin() as conn:
            for name in names:
                sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
        warehouse.close()


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
@pytest.mark.filterwarnings("ignore::impute_assets.warehouse.UnsupportedTypeWarning")
def test_listing_an_unsupported_column_fails_naming_its_type(
    engine, request, unique_name, tmp_path
):
    warehouse = Warehouse(request.getfixturevalue(f"{engine}_url"))
    try:
        odd = _create(warehouse, unique_name)
        column = next(iter(odd))
        spec = TableSpec(table=unique_name, key=["id"], model=TINY_MODEL, columns=["y", column])
        run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
        with pytest.raises(ValueError, match=f"never imputed: {column} "):
            run.train_or_reuse(run.columns())
    finally:
        with warehouse.engine.begin() as conn:
            sa.Table(unique_name, sa.MetaData()).drop(conn, checkfirst=True)
        warehouse.close()


def test_a_key_typo_names_the_closest_column_and_the_tables_columns():
    spec = TableSpec(table="starwars", key=["nmae"])
    with pytest.raises(UnknownColumns) as error:
        check_declared_columns(spec, ["name", "height", "mass"])
    assert str(error.value) == (
        "table 'starwars': key names columns not in the table: nmae (did you mean name?); "
        "the table has name, height, mass"
    )


@pytest.mark.postgres
def test_a_postgresql_enum_is_discovered_filled_and_published(postgres_url, unique_name, tmp_path):
    """Enums are categorical (documented as imputable): discovered, filled from x, validated
    in the warehouse (GE reads the enum as text) and published with the enum type kept."""
    warehouse = Warehouse(postgres_url)
    enum = f"{unique_name}_mood"
    rng = np.random.default_rng(0)
    rows = []
    for i in range(ROWS):
        x = float(rng.normal())
        rows.append(f"({i}, {x!r}, {'NULL' if i % 6 == 0 else repr('happy' if x > 0 else 'sad')})")
    names = [unique_name, f"{unique_name}_imputed", f"{unique_name}_imputed_audit"]
    try:
        with warehouse.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE TYPE {enum} AS ENUM ('sad', 'happy')")
            conn.exec_driver_sql(
                f"CREATE TABLE {unique_name} (id INTEGER PRIMARY KEY, "
                f"x DOUBLE PRECISION, mood {enum})"
            )
            conn.exec_driver_sql(f"INSERT INTO {unique_name} VALUES {', '.join(rows)}")
        run = TableRun(
            TableSpec(table=unique_name, key=["id"], model=TINY_MODEL),
            warehouse,
            ModelStore(str(tmp_path / "models")),
        )
        assert run.columns() == ["mood"]
        fill = run.run().fills[0]
        assert fill.cells_filled == len(range(0, ROWS, 6)) and fill.cells_left == 0
        with warehouse.engine.connect() as conn:
            kept = (
                conn.exec_driver_sql(f"SELECT DISTINCT pg_typeof(mood)::text FROM {names[1]}")
                .scalars()
                .all()
            )
        assert kept == [enum]
    finally:
        with warehouse.engine.begin() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
            conn.exec_driver_sql(f"DROP TYPE IF EXISTS {enum}")
        warehouse.close()
