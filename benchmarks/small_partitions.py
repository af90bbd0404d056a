"""How often honest fills of small partitions fail validation: generated tables of six
partitions, each filled and published by ``TableRun`` with the default model.

Each table has ``--rows`` rows per partition: two numbers of one latent factor, a log-normal
amount of another, a category of ``--labels`` labels driven by the first factor and a
two-label one by the second; 20% of every column missing at random. Nothing is stale, so every
failed partition is a false alarm. Prints and writes the failures per partition size.

    PYTHONPATH=. python benchmarks/small_partitions.py [--rows 10 25 60] [--labels 3 8 20]
        [--seeds 0 1 2] [--url duckdb:///...] [--out benchmarks/results/small_partitions.md]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.filling import ValidationFailed
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse

PARTITIONS = 6
GAPS = 0.2


def make_table(seed: int, rows: int, labels: int) -> pd.DataFrame:
    """``PARTITIONS`` partitions of ``rows`` rows (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n = PARTITIONS * rows
    factors = rng.normal(size=(n, 2))
    frame = pd.DataFrame(
        {
            "id": range(n),
            "day": np.repeat([f"d{i:03d}" for i in range(PARTITIONS)], rows),
            "x1": factors[:, 0] + 0.3 * rng.normal(size=n),
            "x2": np.exp(factors[:, 1] * 0.8) * 10,
            "x3": factors[:, 0] - factors[:, 1] + rng.normal(size=n) * 0.5,
        }
    )
    logits = np.outer(factors[:, 0], np.linspace(-2, 2, labels)) + rng.gumbel(size=(n, labels))
    frame["c1"] = np.array([f"L{j}" for j in range(labels)])[logits.argmax(1)]
    frame["c2"] = np.where(factors[:, 1] > 0, "hi", "lo")
    for column in ["x1", "x2", "x3", "c1", "c2"]:
        frame.loc[rng.random(n) < GAPS, column] = None
    return frame


def failures(url: str | None, seed: int, rows: int, labels: int) -> tuple[int, list[str]]:
    """Partitions filled, and one line per failed expectation of a partition that failed."""
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(url or f"duckdb:///{tmp}/warehouse.duckdb")
        name = f"small_partitions_{rows}_{labels}_{seed}"
        drop_run_tables(warehouse, name)
        warehouse.publish(make_table(seed, rows, labels), name)
        spec = TableSpec(table=name, key=["id"], partition={"column": "day"})
        run = TableRun(spec, warehouse, ModelStore(f"{tmp}/models"))
        columns = run.columns()
        run.train_or_reuse(columns)
        failed = []
        keys = run.partition_keys() or []
        for key in keys:
            try:
                run.fill_and_publish(columns, key)
            except ValidationFailed as refused:
                failed += [f"{key} {r.column}: {r.type}" for r in refused.result.failures]
        drop_run_tables(warehouse, name)
    return len(keys), failed


def drop_run_tables(warehouse: Warehouse, name: str) -> None:
    """The table and what a run made of it (output, audit), gone: a server keeps nothing."""
    with warehouse.engine.begin() as conn:
        for table in (name, f"{name}_imputed", f"{name}_imputed_audit"):
            conn.execute(
                sa.text(f"DROP TABLE IF EXISTS {warehouse.dialect.qualified(table, None)}")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10, 25, 60])
    parser.add_argument("--labels", type=int, nargs="+", default=[3, 8, 20])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--url", help="warehouse URL (default: a DuckDB file per table)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/small_partitions.md"))
    args = parser.parse_args()
    started = time.perf_counter()
    lines = [
        f"# Small partitions: false validation failures ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        "| rows per partition | partitions | failed | failed expectations |",
        "|---:|---:|---:|---|",
    ]
    for rows in args.rows:
        total, failed_partitions, kinds = 0, 0, collections.Counter()
        for labels in args.labels:
            for seed in args.seeds:
                filled, failed = failures(args.url, seed, rows, labels)
                total += filled
                failed_partitions += len({line.split()[0] for line in failed})
                kinds.update(line.split(": ")[1] for line in failed)
        shown = ", ".join(f"{kind} {count}" for kind, count in kinds.items()) or "none"
        lines.append(f"| {rows} | {total} | {failed_partitions} | {shown} |")
        print(lines[-1], flush=True)
    lines += ["", f"{time.perf_counter() - started:.0f} s; `{' '.join(sys.argv)}`"]
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
