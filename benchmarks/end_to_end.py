"""End-to-end benchmark: one table's whole run through the public API, stage by stage.

A table of ``--rows`` rows x 20 mixed columns (``warehouse_io.make_data``) plus an ``id`` key,
where 6 target columns (int, float, decimal, text, bool, timestamp) have 10% gaps and the other
14 are complete, runs with a default ``TableSpec`` through ``TableRun``: detect (SQL profile),
train or reuse (bounded sample), fill and publish (write-audit-publish). Each stage's wall time,
CPU time (all threads; the machine may be shared) and peak resident memory (sampled every 20 ms,
above the process's memory when the stage began) are reported next to a raw round trip of the
same table (DuckDB: Arrow read + CREATE TABLE AS from Arrow; PostgreSQL: COPY TO STDOUT parsed
by Arrow + COPY FROM STDIN). The benchmark drops its own copy of the table once it is loaded,
and the run's filled frames before the raw round trip: the process's peak is the pipeline's.

Usage: PYTHONPATH=. python benchmarks/end_to_end.py [--rows 1000000] [--engines duckdb postgres]
       [--out benchmarks/results/end_to_end.md]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from benchmarks.warehouse_io import POSTGRES_URL, copy_in, copy_out, make_data, pg_type
from impute_assets.core.memory import release_free_memory
from impute_assets.pipeline import TableSpec
from impute_assets.pipeline.run import TableRun
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse

TARGETS = ["i0", "f0", "d0", "s0", "b0", "ts"]
#: Targets of the issue: seconds at 1M rows and at 20k rows, peak GB, I/O vs raw round trip.
WALL_1M, WALL_20K, PEAK_GB, IO_RATIO = 60.0, 20.0, 2.0, 2.0


def make_table(rows: int) -> pa.Table:
    """``make_data`` with gaps kept only in the target columns, and an ``id`` key first."""
    data = make_data(rows)
    columns = {"id": pa.array(range(rows), pa.int64())}
    for name in data.column_names:
        column = data.column(name)
        if name not in TARGETS and column.null_count:
            column = pc.fill_null(column, pc.min(column))
        columns[name] = column
    return pa.table(columns)


def rss_bytes() -> int:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@dataclass
class Stage:
    """One measured stage."""

    name: str
    seconds: float
    cpu_seconds: float
    peak_bytes: int


@contextmanager
def measured(name: str, stages: list[Stage]) -> Iterator[None]:
    """Time a stage and sample its peak memory (above the memory in use when it began)."""
    base = rss_bytes()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        done.set()
        sampler.join()
        stages.append(Stage(name, seconds, cpu, max(peak[0], rss_bytes()) - base))


def raw_round_trip(engine: str, url: str, table: str, data_schema: pa.Schema) -> float:
    """Seconds to read ``table`` to Arrow and write it back as a new table, natively."""
    copy = f"{table}_raw"
    started = time.perf_counter()
    if engine == "duckdb":
        import duckdb

        with duckdb.connect(url.removeprefix("duckdb:///")) as con:
            data = con.sql(f'SELECT * FROM "{table}"').to_arrow_table()
            con.register("data", data)
            con.execute(f'CREATE TABLE "{copy}" AS SELECT * FROM data')
    else:
        engine_ = sa.create_engine(url)
        raw = engine_.raw_connection().driver_connection
        try:
            data = copy_out(raw, table, data_schema)
            ddl = ", ".join(f'"{f.name}" {pg_type(f.type)}' for f in data_schema)
            raw.execute(f'CREATE TABLE "{copy}" ({ddl})')
            copy_in(raw, copy, data)
        finally:
            raw.close()
            engine_.dispose()
    seconds = time.perf_counter() - started
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{copy}"'))
    return seconds


def run_engine(engine: str, url: str, rows: int, fill: str) -> tuple[list[Stage], float, str]:
    """Load the table, run it end to end (``fill``: the spec's fill setting), return the
    stages, the raw round trip and how many gaps were filled. The generated table is dropped
    once loaded, before anything is measured: a pipeline's process holds no copy of it."""
    table = f"e2e_{uuid.uuid4().hex[:8]}"
    warehouse = Warehouse(url)
    data = make_table(rows)
    schema = data.schema
    warehouse.publish(data.to_pandas(), table)
    del data
    release_free_memory()
    stages: list[Stage] = []
    with tempfile.TemporaryDirectory() as models:
        spec = TableSpec.parse({"table": table, "key": ["id"], "fill": fill})
        run = TableRun(spec, warehouse, ModelStore(models))
        try:
            with measured("total", stages):
                with measured("detect (SQL profile)", stages):
                    missing = run.detect()
                columns = run.columns(missing)
                with measured("train (bounded sample)", stages):
                    run.train_or_reuse(columns)
                with measured("fill + validate + publish", stages):
                    record = run.fill_and_publish(columns)
            filled = sum(c.filled for c in record.columns)
            del record  # its filled frames: the raw round trip's peak is its own
            release_free_memory()
            raw = raw_round_trip(engine, url, table, schema)
            outcome = f"{filled:,} of {missing.missing_cells:,} gaps filled"
            print(f"{engine}: {outcome}")
        finally:
            with warehouse.engine.begin() as conn:
                for name in (table, f"{table}_imputed", f"{table}_imputed_audit"):
                    conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
            warehouse.close()
    return stages, raw, outcome


def report(
    results: dict[str, tuple[list[Stage], float, str]],
    rows: int,
    commit: str,
    load: tuple[float, float],
    command: str,
) -> str:
    """The markdown table of every engine's stages, with the machine's load and peak memory."""
    import torch

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"# End to end: {rows:,} rows x 20 columns, 6 targets with 10% gaps",
        "",
        (
            f"Commit {commit}, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, {torch.get_num_threads()} torch threads, "
            f"`{command}`. Load average (1 min) "
            f"{load[0]:.1f} at the start, {load[1]:.1f} at the end. Peak resident memory of the "
            f"whole process (every engine; the benchmark's copy of the table dropped once "
            f"loaded): "
            f"{peak_mb:,.0f} MB."
        ),
        "",
        *(f"- {engine}: {outcome}." for engine, (_, _, outcome) in results.items()),
        "",
        "| engine | stage | wall s | CPU s (all threads) | peak memory (MB, above start) |",
        "|---|---|---:|---:|---:|",
    ]
    for engine, (stages, raw, _) in results.items():
        lines.extend(
            f"| {engine} | {stage.name} | {stage.seconds:.1f} | "
            f"{stage.cpu_seconds:.1f} | {stage.peak_bytes / 2**20:,.0f} |"
            for stage in stages
        )
        lines.append(f"| {engine} | raw round trip (read + write) | {raw:.1f} | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and optionally write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", nargs="+", default=["duckdb", "postgres"])
    parser.add_argument(
        "--fill",
        default="confident",
        choices=["confident", "all"],
        help="the table's fill setting: the default gates (confident), or every gap (all)",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("impute_assets").setLevel(logging.INFO)  # stage and chunk progress
    urls: dict[str, Callable[[str], str]] = {
        "duckdb": lambda tmp: f"duckdb:///{tmp}/e2e.duckdb",
        "postgres": lambda tmp: POSTGRES_URL,
    }
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    results = {}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines:
            results[engine] = run_engine(engine, urls[engine](tmp), args.rows, args.fill)
    command = " ".join(
        ["python benchmarks/end_to_end.py", *(sys.argv[1:] if argv is None else argv)]
    )
    text = report(results, args.rows, commit, (load, os.getloadavg()[0]), command)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
