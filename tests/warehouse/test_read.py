"""Reading: every row and value comes back, with nullable pandas dtypes, in bounded batches."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from tests.warehouse.conftest import DAYS, normalized, sample_rows


def test_read_keeps_rows_values_and_dtypes(wh, make_table):
    name = make_table()
    frame = wh.read(name)
    assert normalized(frame) == normalized(pd.DataFrame(sample_rows()))
    assert frame["id"].dtype == "Int64" and frame["qty"].dtype == "Int64"
    assert frame["price"].dtype == "float64"
    assert isinstance(frame["amount"].dtype, pd.ArrowDtype)
    assert pa.types.is_decimal(frame["amount"].dtype.pyarrow_dtype)
    assert pd.api.types.is_string_dtype(frame["city"].dtype)
    assert frame["active"].dtype == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(frame["day"].dtype)
    tz_aware = wh.dialect.name in ("duckdb", "postgresql")
    assert (getattr(frame["seen_at"].dtype, "tz", None) is not None) == tz_aware


def test_read_subset_partition_and_sample(wh, make_table):
    name = make_table()
    part = wh.read(name, columns=["qty", "id"], partition=("day", DAYS[1].isoformat()))
    assert list(part.columns) == ["qty", "id"]
    expected = [r for r in sample_rows() if r["day"] == DAYS[1]]
    assert sorted(part["id"].tolist()) == [r["id"] for r in expected]
    sample = wh.read(name, sample=7)
    assert len(sample) == 7 and sample["id"].is_unique


def test_iter_batches_are_bounded(wh, make_table):
    name = make_table()
    batches = list(wh.iter_batches(name, batch_rows=8))
    assert all(b.num_rows <= 8 for b in batches)
    assert sum(b.num_rows for b in batches) == len(sample_rows())
    assert batches[0].schema == wh.describe(name).arrow_schema()


def test_read_empty_table_has_the_columns(wh, make_table):
    name = make_table(rows=[])
    frame = wh.read(name)
    assert frame.empty and list(frame.columns) == wh.describe(name).column_names
