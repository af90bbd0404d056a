"""Validation of a 1M-row PostgreSQL table: in-warehouse (GE SQL) vs the DataFrame path.

Writes ``benchmarks/results/validation.md``. The table has one numeric and one categorical
imputed column (20% of each filled with draws from the observed values) plus an id; the suite
is the full one ``build_suite`` makes for both columns and the row count. The DataFrame path
is timed twice: reading the table into pandas, and validating the frame. GE's import and a
first small validation are warmed up before timing.

    PYTHONPATH=. python benchmarks/validation.py [--rows 1000000] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from impute_assets.core.kinds import ColumnKind
from impute_assets.core.profile import TableProfile
from impute_assets.quality import build_suite, validate_frame, validate_table

DEFAULT_URL = os.environ.get(
    "IMPUTE_ASSETS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RESULTS = Path(__file__).parent / "results" / "validation.md"


def make_data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The input with gaps, and a plausible imputation of it."""
    rng = np.random.default_rng(seed)
    observed = pd.DataFrame({
        "id": np.arange(rows),
        "x": rng.normal(50.0, 10.0, rows),
        "c": rng.choice(["red", "green", "blue", "black"], rows, p=[0.4, 0.3, 0.2, 0.1]),
    })  # fmt: skip
    observed["c"] = observed["c"].astype(object)
    filled = observed.copy()
    for column in ("x", "c"):
        gaps = rng.random(rows) < 0.2
        observed.loc[gaps, column] = None
        filled.loc[gaps, column] = rng.choice(observed[column].dropna().to_numpy(), gaps.sum())
    filled["x"] = filled["x"].astype(float)
    return observed, filled


def copy_into(engine: sa.Engine, table: str, frame: pd.DataFrame) -> None:
    """Create ``table`` and load ``frame`` with PostgreSQL's COPY (fast, unlike to_sql)."""
    frame.head(0).to_sql(table, engine, index=False)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" FROM STDIN WITH (FORMAT csv)') as copy:
            copy.write(buffer.read())
        raw.commit()
    finally:
        raw.close()


def verdict(result) -> str:
    return "pass" if result.success else "fail"


def timed(fn, *args):
    """``fn(*args)`` and the seconds it took."""
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    observed, filled = make_data(args.rows)
    kinds = {"x": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL}
    profile = TableProfile.from_frame(observed, kinds)
    suite = build_suite(profile, ["x", "c"], row_count=args.rows, name="bench")
    validate_frame(filled.head(1000), suite)  # warm-up: GE import and first context

    engine = sa.create_engine(args.url)
    table = f"bench_{uuid.uuid4().hex[:8]}"
    copy_into(engine, table, filled)
    try:
        sql_times, read_times, frame_times = [], [], []
        for _ in range(args.repeats):
            in_sql, seconds = timed(validate_table, args.url, table, suite)
            sql_times.append(seconds)
            with engine.connect() as conn:
                query = sa.select(sa.text("*")).select_from(sa.table(table))
                frame, seconds = timed(pd.read_sql, query, conn)
            read_times.append(seconds)
            in_frame, seconds = timed(validate_frame, frame, suite)
            frame_times.append(seconds)
        assert in_sql.success and in_frame.success, (in_sql.to_markdown(), in_frame.to_markdown())
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
        engine.dispose()

    sql, read, val = min(sql_times), min(read_times), min(frame_times)
    import great_expectations as gx

    with engine.connect() as conn:
        server = conn.execute(sa.text("SHOW server_version")).scalar()
    lines = [
        f"# Validation: {args.rows:,}-row PostgreSQL table, in-warehouse vs DataFrame",
        "",
        (
            f"{args.rows:,} rows, columns id/x (numeric)/c (categorical), "
            f"{len(suite.expectations)} expectations (row count; per column not-null, range or "
            "vocabulary, mean, stdev, KL divergence, KS). Best of "
            f"{args.repeats} runs after a warm-up; GE {gx.__version__}, pandas {pd.__version__}, "
            f"PostgreSQL {server}, {os.cpu_count()} CPUs ({platform.machine()}), shared machine."
        ),
        "",
        "| path | seconds | rows moved to Python | result |",
        "|---|---:|---:|---|",
        f"| in-warehouse (GE SQL datasource) | {sql:.2f} | 0 | {verdict(in_sql)} |",
        f"| DataFrame: read table | {read:.2f} | {args.rows:,} | |",
        f"| DataFrame: validate frame | {val:.2f} | | {verdict(in_frame)} |",
        f"| DataFrame: total | {read + val:.2f} | {args.rows:,} | |",
        "",
        f"In-warehouse / DataFrame total: {sql / (read + val):.2f}x the time.",
        "",
        "Command: `PYTHONPATH=. python benchmarks/validation.py`",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
