"""The suite on real warehouse tables: in the warehouse for PostgreSQL, SQLite and MySQL;
DuckDB through a DataFrame."""

from __future__ import annotations

import cProfile
import pstats

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from quality_cases import BROKEN, drop_table, failed, write_table

from impute_assets.core.profile import TableProfile
from impute_assets.quality import build_suite, validate_frame, validate_table

ENGINE = {"duckdb": "dataframe", "sqlite": "sql", "postgres": "sql", "mysql": "sql"}


@pytest.fixture(params=sorted(ENGINE))
def warehouse(request) -> tuple[str, str]:
    return request.param, request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def table(warehouse, unique_name):
    _, url = warehouse
    yield unique_name
    drop_table(url, unique_name)


def test_good_imputation_passes(warehouse, table, good, suite):
    name, url = warehouse
    write_table(url, table, good)
    result = validate_table(url, table, suite)
    assert result.success, result.to_markdown()
    assert (result.engine, result.table) == (ENGINE[name], table)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_imputation_fails_with_the_right_expectation(
    case, warehouse, table, observed, good, profile, suite
):
    _, url = warehouse
    breaker, expected = BROKEN[case]
    write_table(url, table, breaker(observed, good, profile))
    result = validate_table(url, table, suite)
    assert failed(result) == expected, result.to_markdown()


def test_in_warehouse_measures_what_the_frame_path_measures(
    warehouse, table, observed, good, profile, suite
):
    _, url = warehouse
    bad = BROKEN["out_of_range"][0](observed, good, profile)
    write_table(url, table, bad)
    in_table = validate_table(url, table, suite).results
    in_frame = validate_frame(bad, suite).results
    for a, b in zip(in_table, in_frame, strict=True):
        assert (a.type, a.column, a.success, a.unexpected_count) == (
            b.type, b.column, b.success, b.unexpected_count)  # fmt: skip
        if isinstance(b.observed_value, float):
            assert a.observed_value == pytest.approx(b.observed_value, rel=1e-6), a.type


def test_mysql_decimals_reach_ge_as_floats(mysql_url, unique_name):
    """MySQL sums integers (GE's histogram for the KL check: one SUM(CASE ...) per bin) and
    averages as DECIMAL, which GE turns into floats one ``inspect.stack()`` call at a time
    (slow). GE's connection reads them as floats: no Decimal reaches GE, and a DECIMAL
    column measures what the frame path measures."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"d": np.round(rng.normal(50.0, 10.0, 300), 2)})
    suite = build_suite(TableProfile.from_frame(frame, {"d": "numeric"}), ["d"], row_count=300)
    frame.loc[:4, "d"] = 1000.25  # out of range, and shifts the mean, stdev and histogram
    engine = sa.create_engine(mysql_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE TABLE {unique_name} (d DECIMAL(10, 2))")
            frame.to_sql(unique_name, conn, index=False, if_exists="append")
        profiler = cProfile.Profile()
        result = profiler.runcall(validate_table, mysql_url, unique_name, suite)
    finally:
        engine.dispose()
        drop_table(mysql_url, unique_name)
    stats = pstats.Stats(profiler).stats
    converted = sum(v[1] for k, v in stats.items() if k[2] == "convert_decimal_to_float")
    assert converted == 0
    in_frame = validate_frame(frame, suite).results
    assert failed(result) == {(r.type, r.column) for r in in_frame if not r.success}
    assert ("expect_column_values_to_be_between", "d") in failed(result)
    for a, b in zip(result.results, in_frame, strict=True):
        assert a.unexpected_count == b.unexpected_count, a.type
        if isinstance(b.observed_value, float):
            assert a.observed_value == pytest.approx(b.observed_value, rel=1e-6), a.type
        assert list(a.unexpected_examples) == list(b.unexpected_examples), a.type


def test_table_in_a_schema(postgres_url, unique_name, good, suite):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(unique_name))
    try:
        write_table(postgres_url, "imputed", good, schema=unique_name)
        result = validate_table(postgres_url, "imputed", suite, schema=unique_name)
        assert result.success and result.table == f"{unique_name}.imputed"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(unique_name, cascade=True))
        engine.dispose()


def test_missing_table_is_named(sqlite_url, suite):
    with pytest.raises(LookupError, match="no_such_table"):
        validate_table(sqlite_url, "no_such_table", suite)


def test_datetime_range(warehouse, table):
    _, url = warehouse
    days = np.random.default_rng(0).integers(0, 100, 50)
    frame = pd.DataFrame({"t": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")})
    suite = build_suite(TableProfile.from_frame(frame, {"t": "datetime"}), ["t"])
    frame.loc[0, "t"] = pd.Timestamp("2030-01-01")
    write_table(url, table, frame)
    result = validate_table(url, table, suite)
    assert failed(result) == {("expect_column_values_to_be_between", "t")}


def test_one_partition_only(warehouse, table, observed, good, profile, suite):
    """Only the partition's rows are validated: good rows pass though another partition is bad."""
    name, url = warehouse
    bad = BROKEN["out_of_range"][0](observed, good, profile)
    write_table(url, table, pd.concat([good.assign(part=1), bad.assign(part=2)]))
    ok = validate_table(url, table, suite, partition=("part", "1"))
    assert ok.success and ok.engine == ENGINE[name], ok.to_markdown()
    assert not validate_table(url, table, suite, partition=("part", 2)).success
