"""Every common type each engine offers survives read -> publish exactly: the output table has
the source's column types and the driver returns identical values (NaN stays NaN, NULL NULL);
types the layer cannot impute are described as unsupported and pass through untouched."""

from __future__ import annotations

import warnings

import pytest

from impute_assets.core.kinds import ColumnKind
from impute_assets.warehouse import UnsupportedTypeWarning, Warehouse

#: Per engine: (column, SQL type, imputable?, literal values of rows 1..n; None for NULL).
ZOO = {
    "postgresql": [
        ("n", "numeric", False, ["0.1", "12345678901234567890.123456789",
                                 "3.14159265358979323846264338327950288419716939937510", "'NaN'"]),
        ("n40", "numeric(40,5)", True, ["123456789012345678901234567890.12345", "-0.00001",
                                        "0", None]),
        ("d", "date", True, ["'2024-02-29'", "'1000-01-01'", "'9999-12-31'", None]),
        ("t", "time", False, ["'23:59:59.999999'", "'00:00:00'", None, "'12:00:00.5'"]),
        ("ttz", "time with time zone", False, ["'12:00:00+05:30'", "'00:00:00-11'", None,
                                               "'23:59:59.123456+00'"]),
        ("ts", "timestamp", True, ["'2024-01-01 12:34:56.789012'", "'1970-01-01'", None,
                                   "'2262-04-12 00:00:00'"]),
        ("tstz", "timestamp with time zone", True, ["'2024-06-01 12:00:00+02'", None,
                                                    "'1999-12-31 23:59:59.5+00'", "now()"]),
        ("iv", "interval", False, ["'1 year 2 mons 3 days 04:05:06.789'", "'-1 day'", None,
                                   "'00:00:00'"]),
        ("b", "boolean", True, ["true", "false", None, "true"]),
        ("i2", "smallint", True, ["32767", "-32768", None, "0"]),
        ("i8", "bigint", True, ["9223372036854775807", "-9223372036854775808", "0", None]),
        ("r", "real", True, ["3.14", "'NaN'", "'Infinity'", None]),
        ("f8", "double precision", True, ["0.1", "'NaN'", "'-Infinity'", "1e308"]),
        ("tx", "text", True, ["''", "'ünï ''q'' \"x\", y'", "E'line\\nbreak,comma'", None]),
        ("vc", "varchar(10)", True, ["'abc'", "''", None, "'0123456789'"]),
        ("ch", "char(5)", True, ["'ab'", None, "'abcde'", "' '"]),
        ("js", "json", False, ["'{\"b\": 1,  \"a\": [1, 2]}'", "'null'", None, "'[]'"]),
        ("jb", "jsonb", False, ["'{\"b\": 1, \"a\": [1, 2]}'", "'\"s\"'", None, "'{}'"]),
        ("arr", "integer[]", False, ["'{1,2,NULL}'", "'{}'", None, "'{{1,2},{3,4}}'"]),
        ("tarr", "text[]", False, ["'{a,\"b c\"}'", None, "'{}'", "'{\"\"}'"]),
        ("u", "uuid", False, ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", None,
                              "'00000000-0000-0000-0000-000000000000'", None]),
        ("by", "bytea", False, ["'\\x00ff10'", "''", None, "'\\x5c6e'"]),
    ],
    "mysql": [
        ("b1", "tinyint(1)", True, ["2", "-1", "127", None]),
        ("bo", "boolean", True, ["1", "0", None, "1"]),
        ("tm", "time(6)", False, ["'838:59:59'", "'-12:00:00'", "'25:00:00.5'", None]),
        ("ubig", "bigint unsigned", True, ["18446744073709551615", "0", None, "1"]),
        ("big", "bigint", True, ["-9223372036854775808", "9223372036854775807", None, "0"]),
        ("d40", "decimal(40,5)", True, ["123456789012345678901234567890.12345", "-0.00001",
                                        None, "0"]),
        ("d", "date", True, ["'2024-02-29'", "'1000-01-01'", "'9999-12-31'", None]),
        ("dtm", "datetime(6)", True, ["'2024-01-01 12:34:56.789012'", None,
                                      "'1000-01-01 00:00:00'", "'9999-12-31 23:59:59'"]),
        ("f", "float", True, ["3.14", "-1e-30", None, "0"]),
        ("db", "double", True, ["0.1", "1e308", None, "-0.5"]),
        ("vc", "varchar(20)", True, ["'ünï ''q'' \"x\", y'", "''", None, "'a\\nb'"]),
        ("tx", "text", True, ["'long text'", None, "''", "'x'"]),
        ("en", "enum('a','b c')", True, ["'a'", "'b c'", None, "'a'"]),
        ("st", "set('x','y')", False, ["'x,y'", "''", None, "'y'"]),
        ("js", "json", False, ["'{\"b\": 1,  \"a\": [1, 2]}'", None, "'[]'", "'null'"]),
        ("bl", "blob", False, ["x'00ff10'", "''", None, "x'5c6e'"]),
        ("yr", "year", False, ["2024", "1901", None, "2155"]),
        ("u", "uuid", False, ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", None,
                              "'00000000-0000-0000-0000-000000000000'", None]),
    ],
    "duckdb": [
        ("b", "BOOLEAN", True, ["true", "false", None, "true"]),
        ("i1", "TINYINT", True, ["127", "-128", None, "0"]),
        ("i8", "BIGINT", True, ["9223372036854775807", "-9223372036854775808", None, "0"]),
        ("hi", "HUGEINT", False, ["170141183460469231731687303715884105727", "-1", None, "0"]),
        ("u8", "UBIGINT", True, ["18446744073709551615", "0", None, "1"]),
        ("fl", "FLOAT", True, ["3.14", "'NaN'", "'inf'", None]),
        ("db", "DOUBLE", True, ["0.1", "'NaN'", "'-inf'", "1e308"]),
        ("dec", "DECIMAL(38,10)", True, ["1234567890123456789012345678.0123456789", "-0.0000000001",
                                         None, "0"]),
        ("vc", "VARCHAR", True, ["'ünï ''q'' \"x\", y'", "''", None, "'a' || chr(10) || 'b'"]),
        ("d", "DATE", True, ["'2024-02-29'", "'1000-01-01'", "'9999-12-31'", None]),
        ("t", "TIME", False, ["'23:59:59.999999'", "'00:00:00'", None, "'12:00:00.5'"]),
        ("ttz", "TIMETZ", False, ["'12:00:00+05:30'", None, "'00:00:00-11'", "'01:02:03+00'"]),
        ("ts", "TIMESTAMP", True, ["'2024-01-01 12:34:56.789012'", None, "'1970-01-01'",
                                   "'2262-04-12 00:00:00'"]),
        ("tns", "TIMESTAMP_NS", False, ["'2024-01-01 12:34:56.123456789'", None,
                                        "'1970-01-01'", "'2000-01-01'"]),
        ("tstz", "TIMESTAMPTZ", True, ["'2024-06-01 12:00:00+02'", None,
                                       "'1999-12-31 23:59:59.5+00'", "'2000-01-01 00:00:00+00'"]),
        ("iv", "INTERVAL", False, ["INTERVAL '1 year 2 months 3 days 04:05:06.789'", None,
                                   "INTERVAL '-1 day'", "INTERVAL '0 seconds'"]),
        ("u", "UUID", False, ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", None,
                              "'00000000-0000-0000-0000-000000000000'", None]),
        ("bl", "BLOB", False, ["'\\x00\\xFF\\x10'::BLOB", "''::BLOB", None, "'\\x5Cn'::BLOB"]),
        ("arr", "INTEGER[]", False, ["[1, 2, NULL]", "[]", None, "[3]"]),
        ("st", "STRUCT(a INTEGER, b VARCHAR)", False, ["{'a': 1, 'b': 'x'}", None,
                                                       "{'a': NULL, 'b': ''}", "{'a': 2, 'b': 'y'}"]),
        ("en", "ENUM('a', 'b c')", False, ["'a'", "'b c'", None, "'a'"]),
    ],
    "sqlite": [
        ("i", "INTEGER", True, ["9223372036854775807", "-1", None, "0"]),
        ("r", "REAL", True, ["0.1", "1e308", None, "-0.5"]),
        ("tx", "TEXT", True, ["'ünï ''q'' \"x\", y'", "''", None, "'a' || char(10) || 'b'"]),
        ("vc", "VARCHAR(10)", True, ["'abc'", None, "''", "'x'"]),
        ("bl", "BLOB", False, ["x'00ff10'", "x''", None, "x'5c6e'"]),
        ("bo", "BOOLEAN", True, ["1", "0", None, "1"]),
        ("d", "DATE", True, ["'2024-02-29'", "'1000-01-01'", None, "'9999-12-31'"]),
        ("dtm", "DATETIME", True, ["'2024-01-01 12:34:56.789012'", None,
                                   "'1970-01-01 00:00:00.000000'", "'2000-01-01 00:00:00.000000'"]),
        ("dec", "DECIMAL(10, 2)", True, ["12.5", "-0.01", None, "0"]),
    ],
}

#: The text each engine renders a value as: compared byte for byte between source and output.
AS_TEXT = {"postgresql": "CAST({} AS TEXT)", "mysql": "HEX({})", "duckdb": "CAST({} AS VARCHAR)",
           "sqlite": "quote({})"}


def _create(wh: Warehouse, name: str, zoo: list) -> None:
    q = wh.dialect.preparer.quote
    columns = ", ".join(f"{q(c)} {t}" for c, t, _, _ in zoo)
    rows = [", ".join([str(i)] + [v if v is not None else "NULL" for v in row])
            for i, row in enumerate(zip(*(values for *_, values in zoo), strict=True), start=1)]
    with wh.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {q(name)} (id INTEGER PRIMARY KEY, {columns})")
        conn.exec_driver_sql(f"INSERT INTO {q(name)} VALUES ({'), ('.join(rows)})")


def _cells(wh: Warehouse, name: str, columns: list[str]) -> list[tuple]:
    """Every cell as the engine's own text (NULL as None), rows ordered by id."""
    q = wh.dialect.preparer.quote
    exprs = ", ".join(AS_TEXT[wh.dialect.name].format(q(c)) for c in columns)
    with wh.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            f"SELECT {exprs} FROM {q(name)} ORDER BY id")]


def _types(wh: Warehouse, name: str) -> list[tuple[str, str]]:
    return [(c.name, c.sql_type) for c in wh.describe(name).columns]


@pytest.fixture
def zoo(wh, drop_later, unique_name):
    """(source table, output table, the engine's zoo), created and dropped."""
    source, output = drop_later(unique_name), drop_later(f"{unique_name}_out")
    spec = ZOO[wh.dialect.name]
    _create(wh, source, spec)
    return source, output, spec


def test_types_and_values_survive_read_and_publish(wh, zoo):
    source, output, spec = zoo
    columns = ["id", *(c for c, *_ in spec)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedTypeWarning)
        desc = wh.describe(source)
        assert {c: desc.column(c).kind != ColumnKind.UNSUPPORTED for c, *_ in spec} == {
            c: imputable for c, _, imputable, _ in spec}
        frame = wh.read(source, nan_as_missing=False)
        wh.publish(frame, output, like=source)  # a new output table: the source's DDL
        assert _types(wh, output) == _types(wh, source)
        assert wh.describe(output).primary_key == ("id",)
        assert _cells(wh, output, columns) == _cells(wh, source, columns)
        wh.publish(wh.read(output, nan_as_missing=False), output)  # replace an existing table
        assert _types(wh, output) == _types(wh, source)
        assert _cells(wh, output, columns) == _cells(wh, source, columns)


def test_a_copy_read_path_keeps_values_too(postgres_url, unique_name):
    """PostgreSQL reads through COPY when no column needs the cursor (time, bytea)."""
    wh = Warehouse(postgres_url)
    try:
        spec = [c for c in ZOO["postgresql"] if c[1] not in ("time", "bytea")]
        source, output = unique_name, f"{unique_name}_out"
        _create(wh, source, spec)
        columns = ["id", *(c for c, *_ in spec)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnsupportedTypeWarning)
            wh.publish(wh.read(source, nan_as_missing=False), output, like=source)
            assert _cells(wh, output, columns) == _cells(wh, source, columns)
    finally:
        with wh.engine.begin() as conn:
            for name in (unique_name, f"{unique_name}_out"):
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
        wh.close()
