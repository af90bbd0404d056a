"""Profiling counts missing cells in SQL; the counts must equal pandas' counts of the same rows."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import Warehouse
from tests.warehouse.conftest import DAYS, drop_table, sample_rows, sample_table


def test_profile_counts_equal_pandas(wh, make_table):
    rows = sample_rows(seed=3)
    name = make_table(rows)
    profile = wh.profile(name, empty_strings=True)
    expected = pd.DataFrame(rows)
    assert profile.rows == len(expected)
    assert {c: m.nulls for c, m in profile.columns.items()} == expected.isna().sum().to_dict()
    assert profile.columns["city"].empty == int((expected["city"] == "").sum())
    assert profile.columns["city"].missing == (
        int(expected["city"].isna().sum()) + int((expected["city"] == "").sum())
    )
    assert set(profile.incomplete_columns) == {c for c, n in expected.isna().sum().items() if n} | {
        "city"
    }


def test_profile_by_partition_equals_pandas_groupby(wh, make_table):
    rows = sample_rows(seed=4)
    name = make_table(rows)
    profile = wh.profile(name, partition_column="day")
    expected = pd.DataFrame(rows)
    for day, group in expected.groupby("day"):
        part = profile.partitions[day.isoformat()]
        assert part.rows == len(group)
        assert part.missing == group.isna().sum().to_dict()
    assert profile.missing == expected.isna().sum().to_dict()
    assert profile.rows == len(rows)
    long = profile.to_frame()
    assert set(long["partition"]) == {d.isoformat() for d in DAYS}


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])  # the engines that store NaN
def test_profile_counts_nan_apart_from_null(engine, request, unique_name):
    wh = Warehouse(request.getfixturevalue(f"{engine}_url"))
    request.addfinalizer(wh.close)
    request.addfinalizer(lambda: drop_table(wh, unique_name))
    table = sample_table(unique_name)
    rows = sample_rows(n=6, missing=0.0)
    rows[1]["price"], rows[2]["price"] = float("nan"), None
    with wh.engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), rows)
    price = wh.profile(unique_name).columns["price"]
    assert (price.nulls, price.nans, price.missing) == (1, 1, 2)
    assert price.missing == int(pd.DataFrame(rows)["price"].isna().sum())


def test_partitions_and_partitions_with_missing(wh, make_table):
    rows = sample_rows(n=9, missing=0.0)
    rows[4]["qty"] = None  # day index 4 % 3 == 1
    name = make_table(rows)
    assert wh.partitions(name, "day") == [d.isoformat() for d in DAYS]
    assert wh.partitions_with_missing(name, "day") == [DAYS[1].isoformat()]
    assert wh.partitions_with_missing(name, "day", columns=["price"]) == []


def test_profile_is_one_query(wh, make_table):
    name = make_table()
    statements: list[str] = []

    def listener(conn, cursor, statement, *rest):
        statements.append(statement)

    wh.describe(name)  # reflection queries are not part of the count
    sa.event.listen(wh.engine, "before_cursor_execute", listener)
    try:
        desc_count = len(statements)
        wh.profile(name, partition_column="day")
    finally:
        sa.event.remove(wh.engine, "before_cursor_execute", listener)
    aggregates = [s for s in statements[desc_count:] if "count(" in s.lower()]
    assert len(aggregates) == 1
