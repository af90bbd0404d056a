"""Warehouse I/O benchmark: profile, read and publish of a 1M x 20 mixed table.

Each of our operations runs next to a raw baseline in the same run, on the same data:
  DuckDB      profile vs a hand-written count query; read vs native SELECT to Arrow/pandas;
              publish vs native INSERT ... SELECT from an Arrow table.
  PostgreSQL  profile vs a hand-written count query; read vs raw COPY TO STDOUT parsed by Arrow;
              publish vs raw COPY FROM STDIN (psycopg 3) into an empty table.
pandas ``to_sql`` (default method, row batches via executemany) runs on a subsample and is
scaled linearly to the full row count; the table says so.

Usage: PYTHONPATH=. python benchmarks/warehouse_io.py [--rows 1000000] [--out PATH]
"""

from __future__ import annotations

import argparse
import io
import platform
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from impute_assets.warehouse import Warehouse

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGETS = {"publish": 2.0, "profile": 1.5}
#: Best-of runs per measurement (to_sql runs once, on its subsample).
REPEAT, PG_REPEAT = 3, 2


def make_data(rows: int, seed: int = 0) -> pa.Table:
    """20 columns: 6 int, 6 float, 2 decimal, 3 text, 1 bool, 1 date, 1 timestamptz; ~10% NULL."""
    rng = np.random.default_rng(seed)

    def nulls() -> np.ndarray:
        return rng.random(rows) < 0.1

    columns: dict[str, pa.Array] = {}
    for i in range(6):
        columns[f"i{i}"] = pa.array(rng.integers(-(10**6), 10**6, rows), mask=nulls())
    for i in range(6):
        columns[f"f{i}"] = pa.array(rng.normal(0, 100, rows), mask=nulls())
    for i in range(2):
        cents = rng.integers(0, 10**9, rows)
        columns[f"d{i}"] = (
            pa.array(cents, mask=nulls()).cast(pa.decimal128(19, 0)).cast(pa.decimal128(14, 2))
        )
    vocab = np.array([f"city_{k:03d}" for k in range(300)], dtype=object)
    for i in range(3):
        columns[f"s{i}"] = pa.array(
            vocab[rng.integers(0, len(vocab), rows)], pa.string(), mask=nulls()
        )
    columns["b0"] = pa.array(rng.random(rows) < 0.5, mask=nulls())
    columns["day"] = pa.array(rng.integers(19_700, 19_730, rows).astype("int32")).cast(pa.date32())
    seconds = rng.integers(1_700_000_000, 1_710_000_000, rows) * 1_000_000
    columns["ts"] = pa.array(seconds, pa.int64(), mask=nulls()).cast(pa.timestamp("us", "UTC"))
    return pa.table(columns)


def timed(fn: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    """Wall-clock seconds of one run of ``fn`` (after an untimed ``setup``)."""
    if setup is not None:
        setup()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def paired(
    ours: Callable[[], object],
    raw: Callable[[], object],
    repeat: int | None = None,
    raw_setup: Callable[[], object] | None = None,
) -> tuple[float, float]:
    """Best-of times of ours and the raw baseline, run alternately so that load from other
    jobs on the shared box hits both alike."""
    best_ours = best_raw = float("inf")
    for _ in range(repeat or REPEAT):
        best_raw = min(best_raw, timed(raw, setup=raw_setup))
        best_ours = min(best_ours, timed(ours))
    return best_ours, best_raw


def count_query(data: pa.Table, table: str, nan: Callable[[str], str]) -> str:
    """The hand-written baseline: nulls per column, NaN per float column, in one SELECT."""
    parts = ["count(*)"]
    for field in data.schema:
        quoted = f'"{field.name}"'
        parts.append(f"count(*) - count({quoted})")
        if pa.types.is_floating(field.type):
            parts.append(f"count(CASE WHEN {nan(quoted)} THEN 1 END)")
    return f"SELECT {', '.join(parts)} FROM {table}"


def to_sql_seconds(url: str, frame: pd.DataFrame, sample_rows: int, total_rows: int) -> float:
    engine = sa.create_engine(url)
    name = f"bench_tosql_{uuid.uuid4().hex[:6]}"
    try:
        seconds = timed(
            lambda: frame.head(sample_rows).to_sql(name, engine, index=False, chunksize=10_000)
        )
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        engine.dispose()
    return seconds * total_rows / sample_rows


def bench_duckdb(data: pa.Table, to_sql_rows: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        wh = Warehouse(f"duckdb:///{path}")
        # the same DuckDB instance; the pooled proxy is held, or returning it closes `native`
        proxy = wh.engine.raw_connection()
        native = proxy.driver_connection
        native.register("data", data)
        native.execute("CREATE TABLE src AS SELECT * FROM data")
        native.execute("CREATE TABLE dst AS SELECT * FROM src")
        hand = count_query(data, "src", lambda c: f"isnan({c})")
        profile = paired(lambda: wh.profile("src"), lambda: native.execute(hand).fetchall())
        arrow = paired(
            lambda: pa.Table.from_batches(list(wh.iter_batches("src"))),
            lambda: native.sql("SELECT * FROM src").to_arrow_table(),
        )
        pandas_ = paired(lambda: wh.read("src"), lambda: native.sql("SELECT * FROM src").df())
        frame = wh.read("src")
        publish = paired(
            lambda: wh.publish(frame, "dst"),
            lambda: native.execute("INSERT INTO raw_dst SELECT * FROM data"),
            raw_setup=lambda: native.execute(
                "CREATE OR REPLACE TABLE raw_dst AS SELECT * FROM src WHERE 1 = 0"
            ),
        )
        proxy.close()
        wh.close()
        tosql = to_sql_seconds(f"duckdb:///{path}", frame, to_sql_rows, len(frame))
    return [
        row("DuckDB", "profile (nulls + NaN, 1 query)", *profile, "hand-written count query"),
        row("DuckDB", "read to Arrow", *arrow, "native SELECT to Arrow"),
        row("DuckDB", "read to pandas", *pandas_, "native SELECT .df()"),
        row(
            "DuckDB",
            "publish (replace all rows, WAP)",
            *publish,
            "INSERT ... SELECT from Arrow",
            tosql,
            to_sql_rows,
        ),
    ]


def bench_postgres(data: pa.Table, to_sql_rows: int, url: str) -> list[dict]:
    wh = Warehouse(url)
    src, dst, raw_dst = (f"bench_{k}_{uuid.uuid4().hex[:6]}" for k in ("src", "dst", "raw"))
    ddl = ", ".join(f'"{f.name}" {pg_type(f.type)}' for f in data.schema)
    raw = wh.engine.raw_connection().driver_connection
    try:
        for name in (src, dst, raw_dst):
            raw.execute(f'CREATE TABLE "{name}" ({ddl})')
        raw.commit()
        copy_in(raw, src, data)
        copy_in(raw, dst, data)
        raw.execute("ANALYZE")
        raw.commit()
        hand = count_query(data, f'"{src}"', lambda c: f"{c} = 'NaN'::float8")

        def raw_profile() -> None:
            raw.execute(hand).fetchall()
            raw.commit()

        def raw_read() -> None:
            copy_out(raw, src, data.schema)
            raw.commit()

        profile = paired(lambda: wh.profile(src), raw_profile, PG_REPEAT)
        arrow = paired(
            lambda: pa.Table.from_batches(list(wh.iter_batches(src))), raw_read, PG_REPEAT
        )
        pandas_ = paired(lambda: wh.read(src), raw_read, PG_REPEAT)
        frame = wh.read(src)
        publish = paired(
            lambda: wh.publish(frame, dst),
            lambda: copy_in(raw, raw_dst, data),
            PG_REPEAT,
            raw_setup=lambda: (raw.execute(f'TRUNCATE "{raw_dst}"'), raw.commit()),
        )
        tosql = to_sql_seconds(url, frame, to_sql_rows, len(frame))
    finally:
        raw.rollback()
        for name in (src, dst, raw_dst):
            raw.execute(f'DROP TABLE IF EXISTS "{name}"')
        raw.commit()
        raw.close()
        wh.close()
    return [
        row("PostgreSQL", "profile (nulls + NaN, 1 query)", *profile, "hand-written count query"),
        row("PostgreSQL", "read to Arrow", *arrow, "COPY TO STDOUT (CSV) parsed by Arrow"),
        row("PostgreSQL", "read to pandas", *pandas_, "COPY TO STDOUT (CSV) parsed by Arrow"),
        row(
            "PostgreSQL",
            "publish (replace all rows, WAP)",
            *publish,
            "COPY FROM STDIN into an empty table",
            tosql,
            to_sql_rows,
        ),
    ]


def pg_type(type_: pa.DataType) -> str:
    if pa.types.is_integer(type_):
        return "BIGINT"
    if pa.types.is_floating(type_):
        return "DOUBLE PRECISION"
    if pa.types.is_decimal(type_):
        return f"NUMERIC({type_.precision},{type_.scale})"
    if pa.types.is_boolean(type_):
        return "BOOLEAN"
    if pa.types.is_date(type_):
        return "DATE"
    if pa.types.is_timestamp(type_):
        return "TIMESTAMPTZ"
    return "TEXT"


def copy_in(raw, table: str, data: pa.Table) -> None:
    """The raw baseline: Arrow's CSV writer into COPY FROM STDIN, then commit."""
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" FROM STDIN (FORMAT csv)') as copy:
        for batch in data.to_batches(50_000):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
            copy.write(buffer.getbuffer())
    raw.commit()


def copy_out(raw, table: str, schema: pa.Schema) -> pa.Table:
    """The raw read baseline: COPY TO STDOUT as CSV, parsed by Arrow with the known types."""
    buffer = io.BytesIO()
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" TO STDOUT (FORMAT csv)') as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    options = pacsv.ConvertOptions(
        column_types=schema,
        true_values=["t"],
        false_values=["f"],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    return pacsv.read_csv(
        buffer, pacsv.ReadOptions(column_names=schema.names), convert_options=options
    )


def row(
    engine: str,
    operation: str,
    ours: float,
    raw: float,
    baseline: str,
    to_sql: float | None = None,
    to_sql_rows: int | None = None,
) -> dict:
    return {
        "engine": engine,
        "operation": operation,
        "ours": ours,
        "raw": raw,
        "baseline": baseline,
        "to_sql": to_sql,
        "to_sql_rows": to_sql_rows,
    }


def markdown(rows: list[dict], n_rows: int) -> str:
    lines = [
        f"# Warehouse I/O benchmark ({n_rows:,} rows x 20 mixed columns)",
        "",
        (
            f"Machine: {platform.machine()}, {platform.system()}, 2 cores shared with other jobs; "
            f"best of {REPEAT} runs (DuckDB) / {PG_REPEAT} (PostgreSQL), ours and raw "
            "alternating, wall-clock seconds (`benchmarks/warehouse_io.py`). Data: 6 BIGINT, "
            "6 DOUBLE, 2 DECIMAL(14,2), 3 text, 1 boolean, 1 date, 1 timestamptz; ~10% NULL per "
            "nullable column."
        ),
        (
            "Ours: `Warehouse.profile/iter_batches/read/publish`. Publish = write-audit-publish: "
            "pandas -> Arrow, load a staging table, one transaction replacing all rows of an "
            f"existing {n_rows:,}-row table (DuckDB: DROP + RENAME of the staging table; "
            "PostgreSQL: DELETE + INSERT SELECT from an UNLOGGED staging table, MVCC-safe), "
            "drop staging. PostgreSQL reads stream COPY TO STDOUT (CSV) into Arrow's streaming "
            "CSV reader."
        ),
        "",
        (
            "| engine | operation | ours (s) | raw baseline (s) | ratio | raw baseline | "
            "pandas to_sql (s) | target |"
        ),
        "|---|---|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        ratio = r["ours"] / r["raw"]
        kind = next((k for k in TARGETS if r["operation"].startswith(k)), None)
        target = (
            f"<= {TARGETS[kind]}x: {'met' if ratio <= TARGETS[kind] else 'MISSED'}" if kind else ""
        )
        to_sql = (
            f"{r['to_sql']:.1f} (on {r['to_sql_rows']:,} rows, x{n_rows // r['to_sql_rows']})"
            if r["to_sql"] is not None
            else ""
        )
        lines.append(
            f"| {r['engine']} | {r['operation']} | {r['ours']:.2f} | {r['raw']:.2f} | "
            f"{ratio:.2f}x | {r['baseline']} | {to_sql} | {target} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--to-sql-rows",
        type=int,
        default=100_000,
        help="to_sql subsample on PostgreSQL (DuckDB uses a fifth: it is slower)",
    )
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "warehouse_io.md"))
    args = parser.parse_args()
    data = make_data(args.rows)
    rows = bench_duckdb(data, args.to_sql_rows // 5) + bench_postgres(
        data, args.to_sql_rows, args.postgres_url
    )
    text = markdown(rows, args.rows)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
