"""Reading: every row and value comes back, with nullable pandas dtypes, in bounded batches."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

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
    # MySQL's BOOLEAN is TINYINT(1), which holds any of -128..127: read as the integer it is.
    assert frame["active"].dtype == ("Int64" if wh.dialect.name == "mysql" else "boolean")
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


@pytest.mark.filterwarnings("ignore::impute_assets.warehouse.UnsupportedTypeWarning")
def test_postgres_copy_read_keeps_awkward_values(postgres_url, unique_name):
    """PostgreSQL reads stream COPY text through Arrow: text edge cases must survive it."""
    import math

    import sqlalchemy as sa

    from impute_assets.warehouse import Warehouse

    wh = Warehouse(postgres_url)
    texts = ["", "NULL", 'say "hi", ok', "two\nlines", "ünï", None]
    floats = [float("nan"), float("inf"), -float("inf"), -0.0, 1e-300, None]
    try:
        with wh.engine.begin() as conn:
            conn.execute(
                sa.text(
                    f'CREATE TABLE "{unique_name}" (k INT, s TEXT, f FLOAT8, ts TIMESTAMP, '
                    "iv INTERVAL, b BYTEA)"
                )
            )
            conn.execute(
                sa.text(f'INSERT INTO "{unique_name}" VALUES (:k, :s, :f, :ts, :iv, :b)'),
                [
                    {
                        "k": i,
                        "s": s,
                        "f": f,
                        "ts": "2024-02-29 23:59:59.123456" if i else None,
                        "iv": "1 day 02:03:04" if i else None,
                        "b": b"\x00\xff" if i else None,
                    }
                    for i, (s, f) in enumerate(zip(texts, floats, strict=True))
                ],
            )
        frame = wh.read(unique_name, columns=["k", "s", "f", "ts", "iv"]).sort_values("k")
        assert frame["s"].tolist()[:5] == texts[:5] and frame["s"].isna().tolist()[5]
        got = frame["f"].tolist()
        assert math.isnan(got[0]) and got[1:5] == floats[1:5] and math.isnan(got[5])
        assert str(frame["ts"].iloc[1]) == "2024-02-29 23:59:59.123456"
        assert frame["iv"].iloc[1] == "1 day 02:03:04"
        binary = wh.read(unique_name, columns=["k", "b"]).sort_values("k")  # cursor path
        assert binary["b"].iloc[1] == b"\x00\xff"
        batches = wh.iter_batches(unique_name, columns=["k", "s"], batch_rows=2)
        assert next(batches).num_rows == 2
        batches.close()  # stopping early leaves the connection usable
        assert len(wh.read(unique_name, columns=["k"])) == len(texts)
    finally:
        with wh.engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{unique_name}"'))
        wh.close()


def test_a_one_column_read_keeps_its_null_rows(wh, drop_later, unique_name):
    # PostgreSQL's COPY writes a one-column NULL row as an empty line, which Arrow's CSV
    # reader skipped by default: 5 rows read back as 2
    frame = pd.DataFrame({"x": [None, 1.5, None, 2.5, None]})
    wh.publish(frame, drop_later(unique_name))
    for back in (wh.read(unique_name), wh.read(unique_name, columns=["x"])):
        assert len(back) == 5 and int(back["x"].isna().sum()) == 3
        assert sorted(back["x"].dropna().tolist()) == [1.5, 2.5]
