"""Validation holds for every value a column can hold: single-precision floats, any Unicode in
categories, infinities and doubles near their limits, timestamps at the engines' limits. Each
table runs a whole fill-and-publish on DuckDB, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import TINY_MODEL
from tests.warehouse.conftest import drop_table

ROWS = 80
#: Per engine: the SQL type of each type name the tests use.
TYPES = {
    "duckdb": {"double": "DOUBLE", "single": "FLOAT", "text": "VARCHAR", "timestamp": "TIMESTAMP"},
    "postgresql": {
        "double": "double precision",
        "single": "real",
        "text": "text",
        "timestamp": "timestamp",
    },
    "mysql": {
        "double": "double",
        "single": "float",
        "text": "varchar(20)",
        "timestamp": "datetime(6)",
    },
}
#: Categories no SQL literal should mangle: no-break space, zero-width space, line separator,
#: right-to-left override.
ODD_CATEGORIES = ["a\u00a0b", "z\u200bw", "l\u2028m", "r\u202eq"]


def _gaps(seed: int = 0) -> tuple[list[float], list[float | None]]:
    """``x`` complete, ``y`` following it with every sixth cell NULL."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=ROWS)
    y = 2 * x + rng.normal(0, 0.1, ROWS)
    return x.tolist(), [None if i % 6 == 0 else v for i, v in enumerate(y.tolist())]


@pytest.fixture(params=["duckdb", "postgres", "mysql"])
def table(request, unique_name, tmp_path):
    """A function: create the table from {column: (type name, values)}, run a fill of
    ``columns`` and return (warehouse, output table name, the run's fill record)."""
    wh = Warehouse(request.getfixturevalue(f"{request.param}_url"))

    def run(columns: dict[str, tuple[str, list]], targets: list[str]):
        q = wh.dialect.preparer.quote
        types = TYPES[wh.dialect.name]
        ddl = ", ".join(f"{q(c)} {types[t]}" for c, (t, _) in columns.items())
        rows = [{"id": i, **{c: v[i] for c, (_, v) in columns.items()}} for i in range(ROWS)]
        table_ = sa.table(unique_name, sa.column("id"), *(sa.column(c) for c in columns))
        with wh.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE TABLE {q(unique_name)} (id INTEGER PRIMARY KEY, {ddl})")
            conn.execute(table_.insert(), rows)
        spec = TableSpec.parse(
            {
                "table": unique_name,
                "key": ["id"],
                "columns": targets,
                "fill": "all",
                "model": dict(TINY_MODEL),
            }
        )
        record = TableRun(spec, wh, ModelStore(str(tmp_path / "models"))).run()
        return wh, spec.output_name, record.fills[0]

    yield run
    for name in (unique_name, f"{unique_name}_imputed", f"{unique_name}_imputed_audit"):
        drop_table(wh, name)
    wh.close()


def _column(wh: Warehouse, table: str, column: str) -> list:
    frame = wh.read(table).sort_values("id")
    return frame[column].tolist()


def test_a_single_precision_target_passes_its_own_range(table):
    """PostgreSQL real / MariaDB float: the range learned from the rows holds for the column in
    SQL (the engine compares the float32 value, not its shortest decimal text)."""
    x, y = _gaps()
    y = [None if v is None else round(v, 2) for v in y]
    wh, output, fill = table({"x": ("double", x), "y": ("single", y)}, ["y"])
    assert fill.cells_filled == sum(v is None for v in y)
    published = _column(wh, output, "y")
    assert all(v is not None and math.isfinite(v) for v in published)
    observed = [i for i, v in enumerate(y) if v is not None]
    assert [np.float32(published[i]) for i in observed] == [np.float32(y[i]) for i in observed]


def test_categories_with_invisible_and_bidi_characters_validate(table):
    x, _ = _gaps()
    c = [None if i % 7 == 0 else ODD_CATEGORIES[2 * (x[i] > 0) + i % 2] for i in range(ROWS)]
    wh, output, fill = table({"x": ("double", x), "c": ("text", c)}, ["c"])
    assert fill.cells_filled == sum(v is None for v in c)
    published = _column(wh, output, "c")
    assert set(published) <= set(ODD_CATEGORIES)
    assert [published[i] for i in range(ROWS) if c[i] is not None] == [
        v for v in c if v is not None
    ]


@pytest.mark.filterwarnings("error:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("extreme", [1e308, math.inf])
def test_an_input_at_the_float_limits_is_summarized_without_overflow(table, request, extreme):
    """An input column of +-1e308 (or +-inf, where the engine stores it; MariaDB holds no
    infinity, so it gets the largest double) beside ordinary values: profiled, encoded, and the
    target beside it filled."""
    x, y = _gaps()
    big = (
        extreme
        if math.isfinite(extreme) or "mysql" not in request.node.name
        else 1.7976931348623157e308
    )
    h = [(big if i % 2 else -big) if i % 3 == 0 else x[i] for i in range(ROWS)]
    wh, output, fill = table({"x": ("double", x), "h": ("double", h), "y": ("double", y)}, ["y"])
    assert fill.cells_filled == sum(v is None for v in y)
    assert _column(wh, output, "h") == h
    assert all(math.isfinite(v) for v in _column(wh, output, "y"))


def test_a_timestamp_at_the_last_microsecond_of_year_9999(table):
    """The range check's upper bound, 9999-12-31 23:59:59.999999, is no longer rounded into
    year 10000 (``year 10000 is out of range``)."""
    x, _ = _gaps()
    last = dt.datetime(9999, 12, 31, 23, 59, 59, 999999)
    t = [
        None
        if i % 6 == 1
        else last
        if i == 2
        else dt.datetime(2024, 1, 1) + dt.timedelta(days=x[i] * 10 + 20)
        for i in range(ROWS)
    ]
    wh, output, fill = table({"x": ("double", x), "t": ("timestamp", t)}, ["t"])
    assert fill.cells_filled == sum(v is None for v in t)
    published = _column(wh, output, "t")
    assert published[2] == last and all(v is not None for v in published)


@pytest.mark.parametrize("table", ["duckdb", "postgres"], indirect=True)  # MariaDB: no inf
def test_observed_infinities_in_a_target_stay_and_its_gaps_get_finite_fills(table):
    """+-inf in a target: the range check leaves those sides open, the observed infinities are
    published as they were, every fill is finite."""
    x, y = _gaps()
    y = [math.inf if i == 1 else -math.inf if i == 2 else v for i, v in enumerate(y)]
    wh, output, fill = table({"x": ("double", x), "y": ("double", y)}, ["y"])
    published = _column(wh, output, "y")
    assert published[1] == math.inf and published[2] == -math.inf
    assert fill.cells_filled == sum(v is None for v in y)
    assert all(math.isfinite(published[i]) for i, v in enumerate(y) if v is None)


def test_a_target_with_one_1e308_outlier_is_left_whole_and_the_table_filled(table):
    """Training on it would overflow single precision (fills of ~1e36 that pass a range check
    up to 1e308): the column is left as read, counted under why, even with ``fill: all``,
    while the table's other target is filled and published."""
    x, y = _gaps()
    _, z = _gaps(seed=1)
    y = [1e308 if i == 1 else v for i, v in enumerate(y)]
    wh, output, fill = table(
        {"x": ("double", x), "y": ("double", y), "z": ("double", z)}, ["y", "z"]
    )
    columns = {c.column: c for c in fill.columns}
    gaps = sum(v is None for v in y)
    assert columns["y"].filled == 0 and columns["y"].left == gaps
    (why,) = columns["y"].reasons
    assert why.startswith("values too far apart for single-precision training")
    assert "(1 value(s) over" in why and columns["y"].reasons[why] == gaps
    published = _column(wh, output, "y")
    assert [v if v == v else None for v in published] == y  # NaN: NULL as pandas reads it
    assert columns["z"].filled == sum(v is None for v in z)
    assert all(math.isfinite(v) for v in _column(wh, output, "z"))
