"""Every common type each engine offers survives read -> publish exactly: the output table has
the source's column types and the driver returns identical values (NaN stays NaN, NULL NULL);
types the layer cannot impute are described as unsupported and pass through untouched, also
through a whole fill-and-publish of numeric gaps beside them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from impute_assets.core.kinds import ColumnKind
from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.store import ModelStore
from impute_assets.warehouse import UnsupportedTypeWarning, Warehouse
from tests.factories import TINY_MODEL
from tests.warehouse.conftest import drop_table

#: Per engine: (column, SQL type, imputable?, literal values of rows 1..n; None for NULL).
ZOO = {
    "postgresql": [
        (
            "n",
            "numeric",
            False,
            [
                "0.1",
                "12345678901234567890.123456789",
                "3.14159265358979323846264338327950288419716939937510",
                "'NaN'",
            ],
        ),
        (
            "n40",
            "numeric(40,5)",
            True,
            ["123456789012345678901234567890.12345", "-0.00001", "0", None],
        ),
        ("d", "date", True, ["'2024-02-29'", "'1000-01-01'", "'9999-12-31'", None]),
        ("t", "time", False, ["'23:59:59.999999'", "'00:00:00'", None, "'12:00:00.5'"]),
        (
            "ttz",
            "time with time zone",
            False,
            ["'12:00:00+05:30'", "'00:00:00-11'", None, "'23:59:59.123456+00'"],
        ),
        (
            "ts",
            "timestamp",
            True,
            ["'2024-01-01 12:34:56.789012'", "'1970-01-01'", None, "'2262-04-12 00:00:00'"],
        ),
        (
            "tstz",
            "timestamp with time zone",
            True,
            ["'2024-06-01 12:00:00+02'", None, "'1999-12-31 23:59:59.5+00'", "now()"],
        ),
        (
            "iv",
            "interval",
            False,
            ["'1 year 2 mons 3 days 04:05:06.789'", "'-1 day'", None, "'00:00:00'"],
        ),
        ("b", "boolean", True, ["true", "false", None, "true"]),
        ("i2", "smallint", True, ["32767", "-32768", None, "0"]),
        ("i8", "bigint", True, ["9223372036854775807", "-9223372036854775808", "0", None]),
        ("r", "real", True, ["3.14", "'NaN'", "'Infinity'", None]),
        ("f8", "double precision", True, ["0.1", "'NaN'", "'-Infinity'", "1e308"]),
        ("tx", "text", True, ["''", "'ünï ''q'' \"x\", y'", "E'line\\nbreak,comma'", None]),
        ("vc", "varchar(10)", True, ["'abc'", "''", None, "'0123456789'"]),
        ("ch", "char(5)", True, ["'ab'", None, "'abcde'", "' '"]),
        ("js", "json", False, ['\'{"b": 1,  "a": [1, 2]}\'', "'null'", None, "'[]'"]),
        ("jb", "jsonb", False, ['\'{"b": 1, "a": [1, 2]}\'', "'\"s\"'", None, "'{}'"]),
        ("arr", "integer[]", False, ["'{1,2,NULL}'", "'{}'", None, "'{{1,2},{3,4}}'"]),
        ("tarr", "text[]", False, ["'{a,\"b c\"}'", None, "'{}'", "'{\"\"}'"]),
        (
            "u",
            "uuid",
            False,
            [
                "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
                None,
                "'00000000-0000-0000-0000-000000000000'",
                None,
            ],
        ),
        ("by", "bytea", False, ["'\\x00ff10'", "''", None, "'\\x5c6e'"]),
        ("ip", "inet", False, ["'192.168.0.1/24'", None, "'::1'", "'10.0.0.1'"]),
        ("cidr", "cidr", False, ["'10.0.0.0/8'", None, "'2001:db8::/32'", "'192.168.1.0/24'"]),
        ("mac", "macaddr", False, ["'08:00:2b:01:02:03'", None, "'00:00:00:00:00:00'", None]),
        ("xm", "xml", False, ["'<a b=\"1\">x</a>'", None, "'<b/>'", "'text only'"]),
        ("mo", "money", False, ["'12.34'", None, "'-1.00'", "'0'"]),
        ("tsv", "tsvector", False, ["'a fat cat'", None, "''", "'x:1A y:2'"]),
        ("pt", "point", False, ["'(1,2)'", None, "'(0,0)'", "'(-1.5,2.5)'"]),
        ("rg", "int4range", False, ["'[1,5)'", None, "'empty'", "'(,3]'"]),
        ("vb", "bit varying(8)", False, ["B'101'", None, "B''", "B'11111111'"]),
        ("en", "{enum}", True, ["'a'", "'b c'", None, "'a'"]),
    ],
    "mysql": [
        ("b1", "tinyint(1)", True, ["2", "-1", "127", None]),
        ("bo", "boolean", True, ["1", "0", None, "1"]),
        ("tm", "time(6)", False, ["'838:59:59'", "'-12:00:00'", "'25:00:00.5'", None]),
        ("ubig", "bigint unsigned", True, ["18446744073709551615", "0", None, "1"]),
        ("big", "bigint", True, ["-9223372036854775808", "9223372036854775807", None, "0"]),
        (
            "d40",
            "decimal(40,5)",
            True,
            ["123456789012345678901234567890.12345", "-0.00001", None, "0"],
        ),
        ("d", "date", True, ["'2024-02-29'", "'1000-01-01'", "'9999-12-31'", None]),
        (
            "dtm",
            "datetime(6)",
            True,
            [
                "'2024-01-01 12:34:56.789012'",
                None,
                "'1000-01-01 00:00:00'",
                "'9999-12-31 23:59:59'",
            ],
        ),
        ("f", "float", True, ["3.14", "-1e-30", None, "0"]),
        ("db", "double", True, ["0.1", "1e308", None, "-0.5"]),
        ("vc", "varchar(20)", True, ["'ünï ''q'' \"x\", y'", "''", None, "'a\\nb'"]),
        ("tx", "text", True, ["'long text'", None, "''", "'x'"]),
        ("en", "enum('a','b c')", True, ["'a'", "'b c'", None, "'a'"]),
        ("st", "set('x','y')", False, ["'x,y'", "''", None, "'y'"]),
        ("js", "json", False, ['\'{"b": 1,  "a": [1, 2]}\'', None, "'[]'", "'null'"]),
        ("bl", "blob", False, ["x'00ff10'", "''", None, "x'5c6e'"]),
        ("yr", "year", False, ["2024", "1901", None, "2155"]),
        (
            "u",
            "uuid",
            False,
            [
                "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
                None,
                "'00000000-0000-0000-0000-000000000000'",
                None,
            ],
        ),
        (
            "geo",
            "geometry",
            False,
            [
                "ST_GeomFromText('POINT(1 2)', 4326)",
                None,
                "ST_GeomFromText('LINESTRING(0 0, 1 1)')",
                None,
            ],
        ),
        ("pt", "point", False, ["POINT(1, 2)", None, "POINT(-1.5, 0)", "POINT(0, 0)"]),
        ("ip", "inet6", False, ["'::1'", None, "'::ffff:192.168.0.1'", "'2001:db8::ff00:42:8329'"]),
        ("mi", "mediumint", True, ["8388607", "-8388608", None, "0"]),
        (
            "ts",
            "timestamp(6) NULL",
            True,
            [
                "'2024-01-01 12:34:56.789012'",
                None,
                "'1970-01-02 00:00:00'",
                "'2038-01-19 03:14:07'",
            ],
        ),
        ("vb", "varbinary(8)", False, ["x'00ff'", None, "''", "x'5c6e'"]),
        ("ch", "char(3)", True, ["'ab'", None, "''", "'abc'"]),
    ],
    "duckdb": [
        ("b", "BOOLEAN", True, ["true", "false", None, "true"]),
        ("i1", "TINYINT", True, ["127", "-128", None, "0"]),
        ("i8", "BIGINT", True, ["9223372036854775807", "-9223372036854775808", None, "0"]),
        ("hi", "HUGEINT", False, ["170141183460469231731687303715884105727", "-1", None, "0"]),
        ("u8", "UBIGINT", True, ["18446744073709551615", "0", None, "1"]),
        ("fl", "FLOAT", True, ["3.14", "'NaN'", "'inf'", None]),
        ("db", "DOUBLE", True, ["0.1", "'NaN'", "'-inf'", "1e308"]),
        (
            "dec",
            "DECIMAL(38,10)",
            True,
            ["1234567890123456789012345678.0123456789", "-0.0000000001", None, "0"],
        ),
        ("vc", "VARCHAR", True, ["'ünï ''q'' \"x\", y'", "''", None, "'a' || chr(10) || 'b'"]),
        ("d", "DATE", True, ["'2024-02-29'", "'1000-01-01'", "'9999-12-31'", None]),
        ("t", "TIME", False, ["'23:59:59.999999'", "'00:00:00'", None, "'12:00:00.5'"]),
        ("ttz", "TIMETZ", False, ["'12:00:00+05:30'", None, "'00:00:00-11'", "'01:02:03+00'"]),
        (
            "ts",
            "TIMESTAMP",
            True,
            ["'2024-01-01 12:34:56.789012'", None, "'1970-01-01'", "'2262-04-12 00:00:00'"],
        ),
        (
            "tns",
            "TIMESTAMP_NS",
            False,
            ["'2024-01-01 12:34:56.123456789'", None, "'1970-01-01'", "'2000-01-01'"],
        ),
        (
            "tstz",
            "TIMESTAMPTZ",
            True,
            [
                "'2024-06-01 12:00:00+02'",
                None,
                "'1999-12-31 23:59:59.5+00'",
                "'2000-01-01 00:00:00+00'",
            ],
        ),
        (
            "iv",
            "INTERVAL",
            False,
            [
                "INTERVAL '1 year 2 months 3 days 04:05:06.789'",
                None,
                "INTERVAL '-1 day'",
                "INTERVAL '0 seconds'",
            ],
        ),
        (
            "u",
            "UUID",
            False,
            [
                "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
                None,
                "'00000000-0000-0000-0000-000000000000'",
                None,
            ],
        ),
        ("bl", "BLOB", False, ["'\\x00\\xFF\\x10'::BLOB", "''::BLOB", None, "'\\x5Cn'::BLOB"]),
        ("arr", "INTEGER[]", False, ["[1, 2, NULL]", "[]", None, "[3]"]),
        (
            "st",
            "STRUCT(a INTEGER, b VARCHAR)",
            False,
            ["{'a': 1, 'b': 'x'}", None, "{'a': NULL, 'b': ''}", "{'a': 2, 'b': 'y'}"],
        ),
        ("en", "ENUM('a', 'b c')", False, ["'a'", "'b c'", None, "'a'"]),
        ("mp", "MAP(VARCHAR, INTEGER)", False, ["MAP {'a': 1}", None, "MAP {}", "MAP {'b': NULL}"]),
        ("lst", "VARCHAR[]", False, ["['a', NULL]", None, "[]", "['']"]),
        ("i2", "SMALLINT", True, ["32767", "-32768", None, "0"]),
        ("i4", "INTEGER", True, ["2147483647", "-2147483648", None, "0"]),
        ("u4", "UINTEGER", True, ["4294967295", "0", None, "1"]),
        (
            "tms",
            "TIMESTAMP_MS",
            True,
            ["'2024-01-01 12:34:56.789'", None, "'1970-01-01'", "'2000-01-01'"],
        ),
    ],
    "sqlite": [
        ("i", "INTEGER", True, ["9223372036854775807", "-1", None, "0"]),
        ("r", "REAL", True, ["0.1", "1e308", None, "-0.5"]),
        ("tx", "TEXT", True, ["'ünï ''q'' \"x\", y'", "''", None, "'a' || char(10) || 'b'"]),
        ("vc", "VARCHAR(10)", True, ["'abc'", None, "''", "'x'"]),
        ("bl", "BLOB", False, ["x'00ff10'", "x''", None, "x'5c6e'"]),
        ("bo", "BOOLEAN", True, ["1", "0", None, "1"]),
        ("d", "DATE", True, ["'2024-02-29'", "'1000-01-01'", None, "'9999-12-31'"]),
        (
            "dtm",
            "DATETIME",
            True,
            [
                "'2024-01-01 12:34:56.789012'",
                None,
                "'1970-01-01 00:00:00.000000'",
                "'2000-01-01 00:00:00.000000'",
            ],
        ),
        ("dec", "DECIMAL(10, 2)", True, ["12.5", "-0.01", None, "0"]),
    ],
}

#: Rows of the zoo a fill runs on (each zoo value repeats every four rows).
FILL_ROWS = 60

#: The text each engine renders a value as: compared byte for byte between source and output.
AS_TEXT = {
    "postgresql": "CAST({} AS TEXT)",
    "mysql": "HEX({})",
    "duckdb": "CAST({} AS VARCHAR)",
    "sqlite": "quote({})",
}


def _create(
    wh: Warehouse,
    name: str,
    zoo: list,
    rows: int = 4,
    gaps: dict[str, list[float | None]] | None = None,
) -> None:
    """The zoo table: an id key, ``gaps`` (DOUBLE PRECISION columns of the given values) and each
    zoo column, row i holding the zoo's value i % 4. A PostgreSQL enum type ``<name>_enum`` is
    created for the zoo's ``{enum}`` column."""
    q = wh.dialect.preparer.quote
    gaps = gaps or {}
    columns = ", ".join(
        [f"{q(c)} DOUBLE PRECISION" for c in gaps]
        + [f"{q(c)} {t.format(enum=q(f'{name}_enum'))}" for c, t, _, _ in zoo]
    )
    values = [
        [
            str(i),
            *("NULL" if g[i] is None else repr(g[i]) for g in gaps.values()),
            *("NULL" if v[i % 4] is None else v[i % 4] for *_, v in zoo),
        ]
        for i in range(rows)
    ]
    with wh.engine.begin() as conn:
        if any("{enum}" in t for _, t, _, _ in zoo):
            conn.exec_driver_sql(f"CREATE TYPE {q(f'{name}_enum')} AS ENUM ('a', 'b c')")
        conn.exec_driver_sql(f"CREATE TABLE {q(name)} (id INTEGER PRIMARY KEY, {columns})")
        conn.exec_driver_sql(
            f"INSERT INTO {q(name)} VALUES ({'), ('.join(', '.join(row) for row in values)})"
        )


def _drop(wh: Warehouse, source: str, *others: str) -> None:
    """Drop the tables, then the source's enum type (PostgreSQL)."""
    for name in (*others, source):
        drop_table(wh, name)
    if wh.dialect.name == "postgresql":
        with wh.engine.begin() as conn:
            conn.exec_driver_sql(
                f"DROP TYPE IF EXISTS {wh.dialect.preparer.quote(f'{source}_enum')}"
            )


def _cells(wh: Warehouse, name: str, columns: list[str]) -> list[tuple]:
    """Every cell as the engine's own text (NULL as None), rows ordered by id."""
    q = wh.dialect.preparer.quote
    exprs = ", ".join(AS_TEXT[wh.dialect.name].format(q(c)) for c in columns)
    with wh.engine.connect() as conn:
        return [
            tuple(r) for r in conn.exec_driver_sql(f"SELECT {exprs} FROM {q(name)} ORDER BY id")
        ]


def _types(wh: Warehouse, name: str) -> list[tuple[str, str]]:
    return [(c.name, c.sql_type) for c in wh.describe(name).columns]


@pytest.fixture
def zoo(wh, unique_name):
    """(source table, output table, the engine's zoo), created and dropped."""
    source, output = unique_name, f"{unique_name}_out"
    spec = ZOO[wh.dialect.name]
    _create(wh, source, spec)
    yield source, output, spec
    _drop(wh, source, output)


@pytest.fixture
def zoo_fill(wh, unique_name):
    """(source table, the engine's zoo, the gap columns' values): the zoo on 60 rows beside
    ``x`` (complete) and ``y`` (follows x, every fifth cell NULL), dropped after with the
    filled table and its audit."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=FILL_ROWS)
    y = 2 * x + rng.normal(0, 0.1, FILL_ROWS)
    gaps = {"x": x.tolist(), "y": [None if i % 5 == 0 else v for i, v in enumerate(y.tolist())]}
    spec = ZOO[wh.dialect.name]
    _create(wh, unique_name, spec, rows=FILL_ROWS, gaps=gaps)
    yield unique_name, spec, gaps
    _drop(wh, unique_name, f"{unique_name}_imputed", f"{unique_name}_imputed_audit")


def test_types_and_values_survive_read_and_publish(wh, zoo):
    source, output, spec = zoo
    columns = ["id", *(c for c, *_ in spec)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedTypeWarning)
        desc = wh.describe(source)
        assert {c: desc.column(c).kind != ColumnKind.UNSUPPORTED for c, *_ in spec} == {
            c: imputable for c, _, imputable, _ in spec
        }
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
        _drop(wh, unique_name, f"{unique_name}_out")
        wh.close()


@pytest.mark.filterwarnings("ignore::impute_assets.warehouse.UnsupportedTypeWarning")
def test_a_fill_beside_every_type_passes_them_through(wh, zoo_fill, tmp_path):
    """Each zoo column, NULLs included, beside numeric gaps: the run fills the gaps and publishes
    every zoo cell as it was (no model for them, none of their NULLs invented)."""
    source, spec, gaps = zoo_fill
    table = TableSpec.parse(
        {"table": source, "key": ["id"], "columns": ["y"], "fill": "all", "model": dict(TINY_MODEL)}
    )
    run = TableRun(table, wh, ModelStore(str(tmp_path / "models"))).run()
    (fill,) = run.fills
    assert [c.column for c in fill.columns] == ["y"]
    assert fill.cells_filled == sum(v is None for v in gaps["y"]) > 0
    zoo_columns = ["id", "x", *(c for c, *_ in spec)]
    assert _cells(wh, table.output_name, zoo_columns) == _cells(wh, source, zoo_columns)
    assert _types(wh, table.output_name) == _types(wh, source)
    published = wh.read(table.output_name).sort_values("id")
    assert published["y"].notna().all()
    observed = [v is not None for v in gaps["y"]]
    assert published["y"][observed].tolist() == [v for v in gaps["y"] if v is not None]
