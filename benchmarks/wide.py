"""Wide-table benchmark: how time and accuracy grow with the column count.

For each ``--columns`` count, a table of ``--rows`` rows from ``benchmarks/scale.py``'s
``--generator`` (two thirds numeric, one third categorical; default ``factors6``, 10% MCAR) is
filled by each method in its own process (``scale.py --one``, default thread count). Methods:
our defaults, our per-column networks only (``ours_stacked``), our shared network only
(``ours_shared``), the plain masked MLP and the MissForest-style forest of
``benchmarks/peers.py``. Each figure carries the 1-minute load average before -> after it; on a
shared machine compare ratios within one run only. The growth exponent of a method's time is
the slope of log(seconds) over log(columns) between the first and last count.

    PYTHONPATH=. python benchmarks/wide.py --rows 3000 --columns 25 50 100

Writes ``benchmarks/results/wide_<rows>_<generator>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import scale

METHODS = ("plain_mlp", "ours", "ours_stacked", "ours_shared", "missforest")


def run(args: argparse.Namespace, out: Path) -> list[dict]:
    """Every (column count, method) in its own process, printed as it finishes; the report is
    rewritten after each, so a run cut short still leaves what it measured."""
    started = time.perf_counter()
    results = []
    for columns in args.columns:
        categorical = columns // 3
        table = argparse.Namespace(
            rows=args.rows,
            numeric=columns - categorical,
            categorical=categorical,
            missing=args.missing,
            seed=args.seed,
            generator=args.generator,
            set=args.set,
            profile=None,
        )
        for method in args.methods:
            print(f"{columns} columns: ", end="", flush=True)
            results.append({"columns": columns, **scale.run_one(method, 0, table)})
            out.write_text(render(results, args, time.perf_counter() - started))
            out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    return results


def exponent(results: list[dict], method: str) -> float | None:
    """Slope of log(seconds) over log(columns), first to last count the method finished."""
    done = [r for r in results if r["method"] == method and "error" not in r]
    if len(done) < 2:
        return None
    first, last = done[0], done[-1]
    return math.log(last["seconds"] / first["seconds"]) / math.log(
        last["columns"] / first["columns"]
    )


def render(results: list[dict], args: argparse.Namespace, wall: float) -> str:
    """The markdown report: one table per column count, ratios to the plain MLP."""
    lines = [
        f"# Wide tables: {args.rows:,} rows x {', '.join(map(str, args.columns))} columns",
        "",
        (
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
            f"{os.cpu_count()} CPU cores visible (shared with other work), whole run "
            f"{wall / 60:.1f} min. Command: `python benchmarks/wide.py {' '.join(sys.argv[1:])}`."
        ),
        "",
        (
            f"Generator `{args.generator}` (see `benchmarks/scale.py`), 2/3 numeric and 1/3 "
            f"categorical columns, {args.missing:.0%} of every column hidden MCAR (seed {args.seed}); "
            "each method in its own process at the default thread count; load = the 1-minute "
            "load average before -> after the method."
        ),
        "",
        (
            "| columns | method | seconds | time vs plain MLP | nRMSE | nRMSE vs plain MLP | "
            "accuracy | peak GB | load |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        load = f"{r['load_before']:.1f} -> {r['load_after']:.1f}"
        if "error" in r:
            lines.append(
                f"| {r['columns']} | {r['method']} | failed: {r['error']} | | | | | | {load} |"
            )
            continue
        ref = next(
            (
                x
                for x in results
                if x["method"] == scale.REFERENCE
                and "error" not in x
                and x["columns"] == r["columns"]
            ),
            None,
        )
        time_ratio = f"{r['seconds'] / ref['seconds']:.2f}x" if ref else ""
        error_ratio = f"{r['nrmse'] / ref['nrmse']:.3f}x" if ref else ""
        lines.append(
            f"| {r['columns']} | {r['method']} | {r['seconds']:.1f} | {time_ratio} | "
            f"{r['nrmse']:.3f} | {error_ratio} | {r['accuracy']:.3f} | "
            f"{r['peak_gb']:.2f} | {load} |"
        )
    lines += ["", "Time growth exponent (seconds ~ columns^k, first to last count):", ""]
    for method in args.methods:
        k = exponent(results, method)
        lines.append(f"- {method}: " + (f"k = {k:.2f}" if k is not None else "n/a"))
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--columns", nargs="+", type=int, default=[25, 50, 100])
    parser.add_argument("--generator", default="factors6", choices=sorted(scale.GENERATORS))
    parser.add_argument("--missing", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=scale.METHODS)
    parser.add_argument(
        "--set", nargs="+", default=[], metavar="FIELD=JSON", help="as in benchmarks/scale.py"
    )
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out or ROOT / "benchmarks" / "results" / f"wide_{args.rows}_{args.generator}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    run(args, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
