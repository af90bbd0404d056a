"""Scale benchmark: our engine against a plain masked MLP (and IterativeImputer) on big tables.

A seeded synthetic table (``--numeric`` nonlinear numeric columns driven by 3 latent factors,
``--categorical`` categorical ones cut from them, ``--missing`` of every cell hidden MCAR) is
filled by each method **in its own process**, one after the other in one run, so peak memory
(``ru_maxrss``) is the method's own. Scores are on the hidden cells: nRMSE (RMSE / the column's
standard deviation, averaged over numeric columns) and accuracy (averaged over categorical ones).

    PYTHONPATH=. python benchmarks/scale.py                       # 200,000 x 13, three methods
    PYTHONPATH=. python benchmarks/scale.py --rows 1000000 --numeric 14 --categorical 6 \\
        --methods ours                                           # the 1M x 20 check

Writes ``benchmarks/results/scale_<rows>x<columns>.md`` and ``.json``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METHODS = ("plain_mlp", "ours", "iterative")
REFERENCE = "plain_mlp"
LEVELS = ("low", "mid", "high", "top")


def make_table(rows: int, numeric: int, categorical: int, seed: int = 0) -> pd.DataFrame:
    """The complete table: numbers are nonlinear functions of 3 latent factors plus noise;
    each categorical cuts a noisy nonlinear score of the factors into 4 levels."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, 3))
    data: dict[str, np.ndarray | pd.Categorical] = {}
    for j in range(numeric):
        a, b = rng.normal(size=3), rng.normal(size=3)
        shape = j % 4
        u, v = z @ a, z @ b
        value = (np.sin(u) + 0.5 * v if shape == 0 else u * v / 2 if shape == 1
                 else np.exp(np.clip(u / 2, -3, 3)) + v if shape == 2 else np.abs(u) - np.tanh(v))
        data[f"x{j}"] = (value + 0.2 * rng.normal(size=rows)).astype(np.float64)
    for j in range(categorical):
        a = rng.normal(size=3)
        score = np.sin(1.5 * (z @ a)) + 0.5 * z[:, j % 3] ** 2 + 0.3 * rng.normal(size=rows)
        cuts = np.quantile(score, [0.25, 0.5, 0.75])
        data[f"c{j}"] = np.asarray(LEVELS, dtype=object)[np.searchsorted(cuts, score)]
    return pd.DataFrame(data)


def hide(frame: pd.DataFrame, share: float, seed: int = 0) -> pd.DataFrame:
    """A copy with ``share`` of every column's cells hidden at random (MCAR)."""
    rng = np.random.default_rng(seed + 1)
    masked = frame.copy()
    for column in frame.columns:
        masked[column] = masked[column].mask(rng.random(len(frame)) < share)
    return masked


def categorical_columns(frame: pd.DataFrame) -> list[str]:
    """The columns scored by accuracy (every non-numeric one)."""
    return [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]


def scores(truth: pd.DataFrame, masked: pd.DataFrame, filled: pd.DataFrame) -> dict[str, float]:
    """nRMSE over numeric columns, accuracy over categorical ones, hidden cells only."""
    nrmse, accuracy = [], []
    categorical = categorical_columns(truth)
    for column in truth.columns:
        gaps = masked[column].isna().to_numpy()
        if column in categorical:
            accuracy.append(float(np.mean(filled[column].to_numpy()[gaps]
                                          == truth[column].to_numpy()[gaps])))
        else:
            error = filled[column].to_numpy(dtype=float)[gaps] - truth[column].to_numpy()[gaps]
            nrmse.append(float(np.sqrt(np.nanmean(error ** 2)) / truth[column].std()))
    return {"nrmse": float(np.mean(nrmse)) if nrmse else float("nan"),
            "accuracy": float(np.mean(accuracy)) if accuracy else float("nan")}


def fill(method: str, masked: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``masked`` filled by ``method`` (torch on one thread for every method: on the shared
    2-core machine two threads made a training step 12x slower)."""
    import torch

    torch.set_num_threads(1)
    categorical = categorical_columns(masked)
    if method == "ours":
        from impute_assets.core.imputer import Imputer

        return Imputer(seed=seed).fit_transform(masked)
    if method == "plain_mlp":
        from benchmarks.plain_mlp import plain_mlp

        return plain_mlp(masked, categorical, seed)
    if method == "iterative":
        from benchmarks.peers import PEERS

        return PEERS["iterative"](masked)
    raise SystemExit(f"unknown method {method!r}; have {METHODS}")


def one(args: argparse.Namespace) -> dict:
    """Run one method in this process; the table is rebuilt from the seed."""
    truth = make_table(args.rows, args.numeric, args.categorical, args.seed)
    masked = hide(truth, args.missing, args.seed)
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.01)
        profiler.start()
    started = time.perf_counter()
    filled = fill(args.method, masked, args.seed)
    seconds = time.perf_counter() - started
    if args.profile:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_text(unicode=False, show_all=False))
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    kept = all(filled[c][masked[c].notna()].equals(masked[c][masked[c].notna()])
               for c in masked.columns)
    return {"method": args.method, "seconds": seconds, "peak_gb": peak_gb,
            "observed_kept": kept, **scores(truth, masked, filled)}


def run_all(args: argparse.Namespace) -> list[dict]:
    """Each method in a fresh process, back to back."""
    results = []
    for method in args.methods:
        command = [sys.executable, __file__, "--one", method, "--rows", str(args.rows),
                   "--numeric", str(args.numeric), "--categorical", str(args.categorical),
                   "--missing", str(args.missing), "--seed", str(args.seed)]
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        if done.returncode:
            print(done.stderr[-3000:], file=sys.stderr)
            results.append({"method": method, "error": done.stderr.strip().splitlines()[-1]})
            continue
        record = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{method:10s} {record['seconds']:8.1f}s  nRMSE {record['nrmse']:.3f}  "
              f"acc {record['accuracy']:.3f}  peak {record['peak_gb']:.2f} GB", flush=True)
        results.append(record)
    return results


def render(results: list[dict], args: argparse.Namespace, wall: float) -> str:
    """The markdown report, with ratios to the plain MLP."""
    columns = args.numeric + args.categorical
    ref = next((r for r in results if r["method"] == REFERENCE and "error" not in r), None)
    lines = [
        f"# Scale benchmark: {args.rows:,} rows x {columns} columns",
        "",
        (f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
         f"{os.cpu_count()} CPU cores visible (shared with other work), whole run "
         f"{wall / 60:.1f} min. Command: `python benchmarks/scale.py {' '.join(sys.argv[1:])}`."),
        "",
        (f"{args.numeric} nonlinear numeric and {args.categorical} categorical (4 levels) "
         f"columns, {args.missing:.0%} of every column hidden MCAR (seed {args.seed}); each "
         "method in its own process; peak = the process's maximum resident memory."),
        "",
        "| method | seconds | time vs plain MLP | nRMSE | accuracy | peak GB | observed kept |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['method']} | failed: {r['error']} | | | | | |")
            continue
        ratio = f"{r['seconds'] / ref['seconds']:.2f}x" if ref else ""
        lines.append(f"| {r['method']} | {r['seconds']:.1f} | {ratio} | {r['nrmse']:.3f} | "
                     f"{r['accuracy']:.3f} | {r['peak_gb']:.2f} | {r['observed_kept']} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--numeric", type=int, default=10)
    parser.add_argument("--categorical", type=int, default=3)
    parser.add_argument("--missing", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--one", dest="method", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help="with --one: write a pyinstrument profile here")
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.method:
        print(json.dumps(one(args)))
        return 0
    started = time.perf_counter()
    results = run_all(args)
    wall = time.perf_counter() - started
    out = args.out or (ROOT / "benchmarks" / "results"
                       / f"scale_{args.rows}x{args.numeric + args.categorical}.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results, args, wall))
    out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
