"""Scale benchmark: our engine against a plain masked MLP (and IterativeImputer) on big tables.

A seeded synthetic table (``--generator``: ``latent3``, ``--numeric`` nonlinear numeric columns
driven by 3 latent factors and ``--categorical`` categorical ones cut from them; or
``factors6``, a second family: 6 latent factors, mixed linear / interaction / heavy-tailed
numbers, categories of 3 to 8 levels; or ``skewed``: log-normal amounts, counts and a
40-level category) with ``--missing`` of every cell hidden MCAR is filled by
each method **in its own process**, one after the other in one run, so peak memory
(``ru_maxrss``) is the method's own. Every method runs at the default thread count (torch's
and BLAS's own choice); ``--threads 0 1`` adds a one-thread row per method. Scores are on the
hidden cells: nRMSE (RMSE / the column's standard deviation, averaged over numeric columns)
and accuracy (averaged over categorical ones). Each row records the 1-minute load average
before and after it: on a shared machine only ratios within one run mean anything.

    PYTHONPATH=. python benchmarks/scale.py                       # 200,000 x 13, three methods
    PYTHONPATH=. python benchmarks/scale.py --rows 1000000 --numeric 14 --categorical 6 \\
        --methods ours                                           # the 1M x 20 check

Writes ``benchmarks/results/scale_<rows>x<columns>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
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

from impute_assets.core.config import DEFAULT_CANDIDATES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: ours: the defaults; ours_stacked: per-column networks only (no shared network);
#: ours_shared: the table's shared network in place of the per-column ones.
METHODS = ("plain_mlp", "ours", "ours_stacked", "ours_shared", "iterative", "missforest")
DEFAULT_METHODS = ("plain_mlp", "ours", "iterative")
NETWORK_CANDIDATES = {
    "ours_stacked": (
        "network",
        *[c for c in DEFAULT_CANDIDATES if c not in ("network", "shared_network")],
    ),
    "ours_shared": (
        "shared_network",
        *[c for c in DEFAULT_CANDIDATES if c not in ("network", "shared_network")],
    ),
}
REFERENCE = "plain_mlp"
LEVELS = ("low", "mid", "high", "top")


def quantile_levels(score: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """``score`` cut at its quantiles into ``len(labels)`` equally frequent levels, lowest
    first, as an object array of ``labels``."""
    cuts = np.quantile(score, np.linspace(0, 1, len(labels) + 1)[1:-1])
    return np.asarray(labels, dtype=object)[np.searchsorted(cuts, score)]


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
        value = (
            np.sin(u) + 0.5 * v
            if shape == 0
            else u * v / 2
            if shape == 1
            else np.exp(np.clip(u / 2, -3, 3)) + v
            if shape == 2
            else np.abs(u) - np.tanh(v)
        )
        data[f"x{j}"] = (value + 0.2 * rng.normal(size=rows)).astype(np.float64)
    for j in range(categorical):
        a = rng.normal(size=3)
        score = np.sin(1.5 * (z @ a)) + 0.5 * z[:, j % 3] ** 2 + 0.3 * rng.normal(size=rows)
        data[f"c{j}"] = quantile_levels(score, LEVELS)
    return pd.DataFrame(data)


def make_factor_table(rows: int, numeric: int, categorical: int, seed: int = 0) -> pd.DataFrame:
    """A second family of tables: 6 latent factors, each number a sparse mix of them, linear,
    with an interaction or a heavy tail (Student t noise); each category an argmax over 3 to 8
    noisy linear scores of the factors."""
    rng = np.random.default_rng(seed + 7)
    z = rng.normal(size=(rows, 6))
    data: dict[str, np.ndarray] = {}
    for j in range(numeric):
        a = rng.normal(size=6) * (rng.random(6) < 0.5)
        a[j % 6] += 1.0
        u = z @ a
        shape = j % 3
        value = (
            u
            if shape == 0
            else u + 0.7 * z[:, (j + 1) % 6] * z[:, (j + 2) % 6]
            if shape == 1
            else np.sinh(u / 2)
        )
        data[f"x{j}"] = value + 0.3 * rng.standard_t(4, size=rows)
    for j in range(categorical):
        levels = 3 + j % 6
        scores = z @ rng.normal(size=(6, levels)) + rng.gumbel(size=(rows, levels))
        data[f"c{j}"] = np.asarray([f"L{k}" for k in range(levels)], dtype=object)[
            scores.argmax(axis=1)
        ]
    return pd.DataFrame(data)


def make_skewed_table(rows: int, numeric: int, categorical: int, seed: int = 0) -> pd.DataFrame:
    """A third family, shaped like warehouse facts: 4 latent factors; the numbers in turn
    log-normal amounts (spreads 0.6 to 1.8), Poisson counts and plain linear scores; the first
    category a 40-level bucket of a noisy score (a region, a product line), the others 4
    levels."""
    rng = np.random.default_rng(seed + 11)
    z = rng.normal(size=(rows, 4))
    data: dict[str, np.ndarray] = {}
    for j in range(numeric):
        a = rng.normal(size=4)
        u = z @ a / np.linalg.norm(a)
        shape = j % 3
        data[f"x{j}"] = (
            np.exp((0.6 + 0.4 * (j % 4)) * u + 0.3 * rng.normal(size=rows))
            if shape == 0
            else rng.poisson(np.exp(0.8 * u + 0.5)).astype(np.float64)
            if shape == 1
            else u + 0.3 * rng.normal(size=rows)
        )
    for j in range(categorical):
        levels = 40 if j == 0 else 4
        score = z @ rng.normal(size=4) + 0.5 * rng.normal(size=rows)
        data[f"c{j}"] = quantile_levels(score, [f"k{k}" for k in range(levels)])
    return pd.DataFrame(data)


GENERATORS = {"latent3": make_table, "factors6": make_factor_table, "skewed": make_skewed_table}


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
            accuracy.append(
                float(np.mean(filled[column].to_numpy()[gaps] == truth[column].to_numpy()[gaps]))
            )
        else:
            error = filled[column].to_numpy(dtype=float)[gaps] - truth[column].to_numpy()[gaps]
            nrmse.append(float(np.sqrt(np.nanmean(error**2)) / truth[column].std()))
    return {
        "nrmse": float(np.mean(nrmse)) if nrmse else float("nan"),
        "accuracy": float(np.mean(accuracy)) if accuracy else float("nan"),
    }


def fill(
    method: str, masked: pd.DataFrame, seed: int, settings: dict[str, object] | None = None
) -> pd.DataFrame:
    """``masked`` filled by ``method`` (``settings``: further ``Imputer`` fields for ours)."""
    categorical = categorical_columns(masked)
    if method.startswith("ours"):
        from impute_assets.core.imputer import Imputer

        extra = {"candidates": NETWORK_CANDIDATES[method]} if method in NETWORK_CANDIDATES else {}
        extra.update(settings or {})
        # every cell filled, as the peers do (the default gate leaves unsure cells missing)
        return Imputer(seed=seed, fill="all", **extra).fit_transform(masked)
    if method == "plain_mlp":
        from benchmarks.plain_mlp import plain_mlp

        return plain_mlp(masked, categorical, seed)
    if method in ("iterative", "missforest"):
        from benchmarks.peers import PEERS

        return PEERS[method](masked)
    raise SystemExit(f"unknown method {method!r}; have {METHODS}")


def one(args: argparse.Namespace) -> dict:
    """Run one method in this process; the table is rebuilt from the seed."""
    if args.threads[0]:
        import torch

        torch.set_num_threads(args.threads[0])
    truth = GENERATORS[args.generator](args.rows, args.numeric, args.categorical, args.seed)
    masked = hide(truth, args.missing, args.seed)
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.01)
        profiler.start()
    started = time.perf_counter()
    filled = fill(args.method, masked, args.seed, settings(args.set))
    seconds = time.perf_counter() - started
    if args.profile:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_text(unicode=False, show_all=False))
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    kept = all(
        filled[c][masked[c].notna()].equals(masked[c][masked[c].notna()]) for c in masked.columns
    )
    import torch

    return {
        "method": args.method,
        "threads": torch.get_num_threads(),
        "seconds": seconds,
        "peak_gb": peak_gb,
        "observed_kept": kept,
        **scores(truth, masked, filled),
    }


def settings(pairs: Sequence[str]) -> dict[str, object]:
    """``FIELD=JSON`` pairs as a dict (e.g. ``max_steps=1000``)."""
    return {k: json.loads(v) for k, v in (pair.split("=", 1) for pair in pairs)}


def profile_path(base: str, method: str, threads: int) -> Path:
    """Where ``method``'s run at ``threads`` writes its profile: ``base`` with both in its name
    (``out.txt`` -> ``out_ours_0thr.txt``), so one ``--profile`` serves every run."""
    path = Path(base)
    return path.with_name(f"{path.stem}_{method}_{threads}thr{path.suffix}")


def run_one(method: str, threads: int, args: argparse.Namespace) -> dict:
    """``method`` in a fresh process (``threads`` 0: the default count), with the load
    average (1 minute) before and after it."""
    command = [
        sys.executable,
        __file__,
        "--one",
        method,
        "--rows",
        str(args.rows),
        "--numeric",
        str(args.numeric),
        "--categorical",
        str(args.categorical),
        "--missing",
        str(args.missing),
        "--seed",
        str(args.seed),
        "--generator",
        args.generator,
        "--threads",
        str(threads),
        *(["--set", *args.set] if args.set else []),
        *(["--profile", str(profile_path(args.profile, method, threads))] if args.profile else []),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if threads:
        env.update(
            dict.fromkeys(
                ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), str(threads)
            )
        )
    load_before = os.getloadavg()[0]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    load = {"load_before": load_before, "load_after": os.getloadavg()[0]}
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        lines = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
        return {"method": method, "error": lines[-1], **load}
    record = {**json.loads(done.stdout.strip().splitlines()[-1]), **load}
    print(
        f"{method:12s} {record['threads']} thr {record['seconds']:8.1f}s  "
        f"nRMSE {record['nrmse']:.3f}  acc {record['accuracy']:.3f}  "
        f"peak {record['peak_gb']:.2f} GB  load {load_before:.1f}->{load['load_after']:.1f}",
        flush=True,
    )
    return record


def run_all(args: argparse.Namespace) -> list[dict]:
    """Each method (at each thread setting) in a fresh process, back to back."""
    return [run_one(method, threads, args) for threads in args.threads for method in args.methods]


def render(results: list[dict], args: argparse.Namespace, wall: float) -> str:
    """The markdown report, with ratios to the plain MLP."""
    columns = args.numeric + args.categorical
    lines = [
        f"# Scale benchmark: {args.rows:,} rows x {columns} columns",
        "",
        (
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
            f"{os.cpu_count()} CPU cores visible (shared with other work), whole run "
            f"{wall / 60:.1f} min. Command: `python benchmarks/scale.py {' '.join(sys.argv[1:])}`."
        ),
        "",
        (
            f"Generator `{args.generator}`: {args.numeric} numeric and {args.categorical} "
            f"categorical columns, {args.missing:.0%} of every column hidden MCAR (seed "
            f"{args.seed}); each method in its own process; peak = the process's maximum resident "
            "memory; load = the 1-minute load average before -> after the method."
        ),
        "",
        (
            "| method | threads | seconds | time vs plain MLP | nRMSE | accuracy | peak GB | "
            "observed kept | load |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        load = f"{r['load_before']:.1f} -> {r['load_after']:.1f}"
        if "error" in r:
            lines.append(f"| {r['method']} | | failed: {r['error']} | | | | | | {load} |")
            continue
        same = [
            x
            for x in results
            if x["method"] == REFERENCE and "error" not in x and x["threads"] == r["threads"]
        ]
        ratio = f"{r['seconds'] / same[0]['seconds']:.2f}x" if same else ""
        lines.append(
            f"| {r['method']} | {r['threads']} | {r['seconds']:.1f} | {ratio} | "
            f"{r['nrmse']:.3f} | {r['accuracy']:.3f} | {r['peak_gb']:.2f} | "
            f"{r['observed_kept']} | {load} |"
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--numeric", type=int, default=10)
    parser.add_argument("--categorical", type=int, default=3)
    parser.add_argument("--missing", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", default="latent3", choices=sorted(GENERATORS))
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS)
    parser.add_argument(
        "--threads",
        nargs="+",
        type=int,
        default=[0],
        help="torch/BLAS threads per run; 0 = the default count (every method "
        "runs once per value, e.g. `--threads 0 1`)",
    )
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="FIELD=JSON",
        help="further ImputerConfig fields for ours, e.g. max_steps=1000",
    )
    parser.add_argument("--one", dest="method", help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile",
        help="write a pyinstrument profile of each run's fill, named after this path, the "
        "method and the threads (out.txt -> out_ours_0thr.txt)",
    )
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
    suffix = "" if args.generator == "latent3" else f"_{args.generator}"
    out = args.out or (
        ROOT
        / "benchmarks"
        / "results"
        / f"scale_{args.rows}x{args.numeric + args.categorical}{suffix}.md"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results, args, wall))
    out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
