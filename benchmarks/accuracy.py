"""Accuracy benchmark: our ``Imputer`` against peer imputers on the shared public tables.

Every method sees the same masked frames (20% of observed cells hidden, MCAR and MAR, seeds
0-2 by default) through ``impute_assets.evaluation.evaluate``, in one run on one machine,
and is scored on the hidden cells only. Writes ``benchmarks/results/accuracy.md`` (a table per
metric, with each method's ratio to the MissForest-style peer), ``accuracy.csv`` (one row per
table x pattern x seed x method) and ``accuracy_columns.csv`` (the same, per masked column: where
a method wins or loses within a table).

Tables are subsampled to ``--rows`` rows; text, id and datetime columns, constant columns and
categoricals with more than ``--max-categories`` distinct values (in the whole table) are
dropped; categoricals stored as numbers (``term`` = 36/60) are given to every method as strings.

    PYTHONPATH=. python benchmarks/accuracy.py                 # the full run (< 20 min, 2 cores)
    PYTHONPATH=. python benchmarks/accuracy.py --tiers         # 500, 2,000 and 5,000 rows
    PYTHONPATH=. python benchmarks/accuracy.py --quick --methods mean_mode knn
    PYTHONPATH=. python benchmarks/accuracy.py --methods ours --set chained=true  # a setting

Each size tier writes its own report: ``accuracy.md`` for 500 rows, ``accuracy_<rows>.md``
for the others.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import math
import platform
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.peers import PEERS, missforest
from impute_assets.core.kinds import ColumnKind
from impute_assets.evaluation import evaluate

REFERENCE = "missforest"
METHODS = ("ours", *PEERS)
#: (column in the results, heading, higher is better)
METRICS = (
    ("nrmse", "nRMSE (numeric columns; lower is better)", False),
    ("accuracy", "Categorical accuracy (higher is better)", True),
    ("macro_f1", "Categorical macro-F1 (higher is better)", True),
    ("wasserstein", "Normalized Wasserstein distance (numeric columns; lower is better)", False),
    ("seconds", "Wall time per table, seconds (lower is better)", False),
)
#: Our targets against the MissForest-style peer: (metric, ratio bound, holds when ratio is ...)
TARGETS = (("nrmse", 0.92, "<="), ("accuracy", 1.0, ">="), ("seconds", 0.3, "<="))
#: Table sizes of ``--tiers``; the first is the default run's.
TIERS = (500, 2_000, 5_000)
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "accuracy.md"


def datasets_dir() -> Path:
    """``$IMPUTE_ASSETS_DATASETS``, else ``../shared/datasets`` beside the repository."""
    return Path(os.environ.get("IMPUTE_ASSETS_DATASETS", ROOT.parent / "shared" / "datasets"))


def load_table(
    directory: Path, entry: dict, rows: int, max_categories: int
) -> tuple[pd.DataFrame, dict[str, ColumnKind], list[str]]:
    """The benchmark's view of one manifest table: sampled rows, usable columns, their kinds,
    and a note per dropped column."""
    frame = pd.read_parquet(directory / entry["file"])
    if len(frame) > rows:
        frame = frame.sample(n=rows, random_state=0).reset_index(drop=True)
    kinds: dict[str, ColumnKind] = {}
    dropped = []
    for column in entry["columns"]:
        name, kind = column["name"], ColumnKind(column["kind"])
        if kind not in (ColumnKind.NUMERIC, ColumnKind.CATEGORICAL):
            dropped.append(f"{name} ({kind.value})")
        elif frame[name].nunique() <= 1:
            dropped.append(f"{name} (constant)")
        elif kind == ColumnKind.CATEGORICAL and column["n_unique"] > max_categories:
            dropped.append(f"{name} ({column['n_unique']} categories)")
        else:
            kinds[name] = kind
    frame = frame[list(kinds)].copy()
    for name, kind in kinds.items():
        if kind == ColumnKind.CATEGORICAL and pd.api.types.is_numeric_dtype(frame[name]):
            frame[name] = _as_labels(frame[name])
    return frame, kinds, dropped


def _as_labels(series: pd.Series) -> pd.Series:
    """Numbers that name categories as strings (36.0 -> "36"), gaps kept."""

    def label(value: object) -> object:
        if pd.isna(value):
            return None
        number = float(value)
        return str(int(number)) if number.is_integer() else str(value)

    return series.map(label).astype(object)


def our_imputer(
    kinds: dict[str, ColumnKind],
    seed: int,
    device: str,
    candidates: Sequence[str] | None = None,
    settings: dict[str, object] | None = None,
    threads: int = 1,
) -> Callable:
    """Our ``Imputer`` as a callable ``frame -> filled frame`` (``candidates``: the config's
    default when ``None``; ``settings``: further ``ImputerConfig`` fields; ``fill="all"`` unless
    they say otherwise; ``threads``: torch's, and so the column workers', see ``--threads``)."""
    import torch

    from impute_assets.core.config import ImputerConfig
    from impute_assets.core.imputer import Imputer

    torch.set_num_threads(threads or os.cpu_count() or 1)

    def ours(frame: pd.DataFrame) -> pd.DataFrame:
        chosen = {"candidates": tuple(candidates)} if candidates else {}
        # every hidden cell filled, as the peers do (the default gate leaves unsure cells)
        fields = {"fill": "all", **chosen, **(settings or {})}
        config = ImputerConfig(seed=seed, device=device, **fields)
        return Imputer(kinds=kinds, config=config).fit_transform(frame)

    return ours


def run(args: argparse.Namespace) -> pd.DataFrame:
    """Every table x pattern x seed x method; one row of scores each."""
    directory = datasets_dir()
    manifest = json.loads((directory / "manifest.json").read_text())
    entries = {d["name"]: d for d in manifest["datasets"]}
    unknown = set(args.datasets or ()) - set(entries)
    if unknown:
        raise SystemExit(f"unknown datasets {sorted(unknown)}; have {sorted(entries)}")
    rows, columns, shapes = [], [], {}
    for name in args.datasets or list(entries):
        frame, kinds, dropped = load_table(directory, entries[name], args.rows, args.max_categories)
        shapes[name] = (frame.shape, dropped)
        for pattern, seed, method in product(args.patterns, args.seeds, args.methods):
            run_id = Run(name, pattern, seed, method)
            record, scores = _one(run_id, frame, kinds, args)
            rows.append(record)
            columns.append(scores)
    results = pd.DataFrame(rows)
    results.attrs["shapes"] = shapes
    results.attrs["columns"] = pd.concat(columns, ignore_index=True)
    return results


@dataclass(frozen=True)
class Run:
    """One cell of the benchmark grid."""

    dataset: str
    pattern: str
    seed: int
    method: str

    def label(self) -> str:
        return f"{self.dataset:16s} {self.pattern:5s} seed {self.seed} {self.method:11s}"


def _imputer(
    run_id: Run, kinds: dict[str, ColumnKind], args: argparse.Namespace
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The method of ``run_id`` as ``frame -> filled frame``, at ``--threads``."""
    if run_id.method == "ours":
        return our_imputer(kinds, run_id.seed, args.device, args.candidates, args.set, args.threads)
    if run_id.method == "missforest":
        return partial(missforest, n_jobs=args.threads or -1)
    return PEERS[run_id.method]


def _one(
    run_id: Run, frame: pd.DataFrame, kinds: dict[str, ColumnKind], args: argparse.Namespace
) -> tuple[dict, pd.DataFrame]:
    """Evaluate one method on one masked table: its overall scores and one row per column (a
    failure is recorded, not raised)."""
    record: dict = asdict(run_id)
    imputer = _imputer(run_id, kinds, args)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = evaluate(
                frame,
                imputer,
                run_id.pattern,
                args.fraction,
                run_id.seed,
                kinds=kinds,
                method=run_id.method,
            )
    except Exception as exc:  # noqa: BLE001 - a failing method is reported, not fatal
        traceback.print_exc()
        record["error"] = f"{type(exc).__name__}: {exc}"
        print(f"{run_id.label()} FAILED {record['error']}", flush=True)
        return record, pd.DataFrame()
    overall = report.overall
    record.update({k: overall[k] for k in ("nrmse", "accuracy", "macro_f1", "wasserstein", "nmae")})
    record.update(seconds=report.seconds, hidden=report.hidden, left=report.left)
    print(
        f"{run_id.label()} nRMSE {overall['nrmse']:.3f} "
        f"acc {overall['accuracy']:.3f} F1 {overall['macro_f1']:.3f} "
        f"left {report.left:4d} {report.seconds:7.1f}s",
        flush=True,
    )
    return record, report.to_frame().assign(**asdict(run_id))


def metric_table(results: pd.DataFrame, metric: str, methods: Sequence[str]) -> pd.DataFrame:
    """Mean over seeds per table x pattern (rows) and method (columns), plus an overall row
    (the mean of the rows where every method has a value)."""
    table = results.pivot_table(
        index=["dataset", "pattern"], columns="method", values=metric, aggfunc="mean", dropna=False
    )
    table = table.reindex(columns=[m for m in methods if m in table.columns])
    first_seen = {name: list(dict.fromkeys(results[name])) for name in ("dataset", "pattern")}
    table = table.sort_index(key=lambda level: level.map(first_seen[level.name].index))
    table = table.dropna(how="all")
    complete = table.dropna()
    table.loc[("overall (mean)", ""), :] = complete.mean() if len(complete) else np.nan
    return table


def _threads(threads: int) -> str:
    """The report's words for ``--threads``."""
    count = threads or f"every core ({os.cpu_count()})"
    return f"threads per method: {count} (our torch threads, the forest's n_jobs)"


def render(results: pd.DataFrame, args: argparse.Namespace, wall: float) -> str:
    """The markdown report."""
    methods = [m for m in args.methods if m in set(results["method"])]
    shapes = results.attrs.get("shapes", {})
    lines = [
        "# Accuracy benchmark",
        "",
        (
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
            f"{os.cpu_count()} CPU cores visible (shared), {_threads(args.threads)}, "
            f"device `{args.device}`; "
            f"whole run {wall / 60:.1f} min. Command: "
            f"`{' '.join(['python benchmarks/accuracy.py', *sys.argv[1:]])}`."
        ),
        "",
        (
            f"Each table: at most {args.rows} rows (seeded sample), {args.fraction:.0%} of the "
            f"observed cells of every column hidden ({', '.join(args.patterns)}; seeds "
            f"{', '.join(map(str, args.seeds))}); scores on the hidden cells only, averaged over "
            "columns, then over seeds. Cells a method left missing count as misses. Ratios are to "
            f"the MissForest-style peer (`{REFERENCE}`). Methods: {', '.join(methods)} "
            "(see `benchmarks/peers.py`)."
        ),
        "",
        "| table | rows x columns used | dropped |",
        "|---|---|---|",
        *[f"| {n} | {s[0]} x {s[1]} | {', '.join(d) or '-'} |" for n, (s, d) in shapes.items()],
    ]
    for metric, heading, _ in METRICS:
        if metric not in results or results[metric].isna().all():
            continue
        table = metric_table(results, metric, methods)
        lines += ["", f"## {heading}", "", _markdown(table, REFERENCE)]
    lines += ["", *_targets(results, methods)]
    errors = results.dropna(subset=["error"]) if "error" in results else results.iloc[:0]
    if len(errors):
        lines += ["", "## Failures", ""]
        lines += [
            f"- {r.dataset} {r.pattern} seed {r.seed} {r.method}: {r.error}"
            for r in errors.itertuples()
        ]
    left = results.groupby("method")["left"].sum() if "left" in results else pd.Series()
    if left.any():
        lines += [
            "",
            "Cells left missing (scored as misses): "
            + ", ".join(f"{m} {int(n)}" for m, n in left.items() if n),
        ]
    return "\n".join(lines) + "\n"


def _markdown(table: pd.DataFrame, reference: str) -> str:
    header = ["table", "pattern", *table.columns]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (dataset, pattern), row in table.iterrows():
        cells = []
        for method, value in row.items():
            ref = row.get(reference, math.nan)
            if math.isnan(value):
                cells.append("")
            elif method != reference and ref and not math.isnan(ref):
                ratio = value / ref
                cells.append(
                    f"{value:.3g} ({ratio:.2f}x)" if ratio >= 0.1 else f"{value:.3g} ({ratio:.2g}x)"
                )
            else:
                cells.append(f"{value:.3g}")
        label = f"**{dataset}**" if dataset.startswith("overall") else dataset
        out.append("| " + " | ".join([label, pattern, *cells]) + " |")
    return "\n".join(out)


def _targets(results: pd.DataFrame, methods: Sequence[str]) -> list[str]:
    if "ours" not in methods or REFERENCE not in methods:
        return ["Targets not checked: needs both `ours` and `missforest` in the run."]
    lines = ["## Targets (ours vs MissForest-style, overall means)", ""]
    for metric, bound, sense in TARGETS:
        table = metric_table(results, metric, methods)
        ours, ref = table.loc[("overall (mean)", ""), ["ours", REFERENCE]]
        ratio = ours / ref if ref else math.nan
        met = ratio <= bound if sense == "<=" else ratio >= bound
        lines.append(
            f"- {metric}: ours {ours:.3g} vs {ref:.3g} = {ratio:.3f}x "
            f"(target {sense} {bound}x): {'met' if met else 'NOT met'}"
        )
    return lines


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", help="manifest names (default: all)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--patterns", nargs="+", default=["mcar", "mar"], choices=["mcar", "mar", "mnar"]
    )
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[TIERS[0]],
        help="sample tables to this many rows (several: one report per size)",
    )
    parser.add_argument("--tiers", action="store_true", help=f"--rows {' '.join(map(str, TIERS))}")
    parser.add_argument(
        "--max-categories",
        type=int,
        default=400,
        help="drop categoricals with more distinct values than this",
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--device", default="auto", help="our Imputer's device")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per method: our torch threads (and column workers) and the forest's "
        "n_jobs; 0: every core (default 1; the other peers are single-threaded)",
    )
    parser.add_argument(
        "--candidates",
        nargs="+",
        default=None,
        help="our Imputer's candidates (default: ImputerConfig's)",
    )
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="FIELD=JSON",
        type=_setting,
        help="further ImputerConfig fields for ours, e.g. chained=true",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 300 rows, seed 0, MCAR only"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"report path (default {DEFAULT_OUT.relative_to(ROOT)}; other tiers "
        "get _ROWS in the name)",
    )
    args = parser.parse_args(argv)
    args.set = dict(args.set)
    if args.tiers:
        args.rows = list(TIERS)
    if args.quick:
        args.rows, args.seeds, args.patterns = [min(*args.rows, 300)], [0], ["mcar"]
    return args


def _setting(text: str) -> tuple[str, object]:
    """``FIELD=JSON`` -> (field, value); a value that is not JSON stays a string."""
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # a tier beyond the first gets its rows in the file's name, unless --out named the file
    # of a single tier
    named = args.out is not None and len(args.rows) == 1
    base = args.out or DEFAULT_OUT
    for rows in args.rows:
        tier = argparse.Namespace(**{**vars(args), "rows": rows})
        out = base if named or rows == TIERS[0] else base.with_stem(f"{base.stem}_{rows}")
        started = time.perf_counter()
        results = run(tier)
        wall = time.perf_counter() - started
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(results, tier, wall))
        results.to_csv(out.with_suffix(".csv"), index=False)
        per_column = out.with_name(f"{out.stem}_columns.csv")
        results.attrs["columns"].to_csv(per_column, index=False)
        print(f"wrote {out}, {out.with_suffix('.csv')} and {per_column} in {wall / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
