"""Property: any frame published to DuckDB or SQLite reads back identical (values and types)."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impute_assets.warehouse import Warehouse

TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
CELLS = {
    "n": (st.integers(-(2**62), 2**62), "Int64"),
    "x": (st.floats(allow_nan=False, allow_infinity=False, width=64), "float64"),
    "s": (TEXT, "str"),
    "b": (st.booleans(), "boolean"),
    "t": (st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)), "datetime64[us]"),
}


@st.composite
def frames(draw) -> pd.DataFrame:
    rows = draw(st.integers(0, 15))
    data = {"k": pd.array(range(rows), dtype="Int64")}
    for name, (cells, dtype) in CELLS.items():
        values = draw(st.lists(st.none() | cells, min_size=rows, max_size=rows))
        data[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(data)


@pytest.fixture(params=["duckdb", "sqlite"])
def embedded(request) -> Warehouse:
    wh = Warehouse(request.getfixturevalue(f"{request.param}_url"))
    yield wh
    wh.close()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=frames(), second=frames())
def test_publish_then_read_is_identity(embedded, first, second):
    name = f"t_{uuid.uuid4().hex[:10]}"
    try:
        for frame in (first, second):  # create, then replace
            embedded.publish(frame, name)
            back = embedded.read(name).sort_values("k").reset_index(drop=True)
            pd.testing.assert_frame_equal(back, frame, check_dtype=False)
            assert back["n"].dtype == "Int64" and back["b"].dtype == "boolean"
    finally:
        with embedded.engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
