"""Uncertainty benchmark: do the fills' 90% intervals and sets cover 90% of the hidden cells, and
does multiple imputation give honest pooled intervals?

``coverage``: the accuracy benchmark's tables (same sampling and columns, see
``benchmarks/accuracy.py``), 20% of observed cells hidden; per table, the share of hidden,
filled cells whose interval (numeric) or prediction set (categorical) holds the true value,
the mean interval width over the column's own 90% spread (5th to 95th percentile of its true
values) and the mean set size.

``mi``: penguins, 20% of cells hidden MCAR, ``draws`` completed frames per mask; the
coefficient of ``flipper_length_mm`` in the OLS of ``body_mass_g`` on ``flipper_length_mm``
and ``bill_length_mm``, pooled with Rubin's rules (``examples/multiple_imputation.py``); how
often its 95% interval holds the full-data estimate over ``masks`` masks.

    PYTHONPATH=. python benchmarks/uncertainty.py coverage --rows 500 2000
    PYTHONPATH=. python benchmarks/uncertainty.py mi --masks 50 --draws 20

Both append to ``benchmarks/results/uncertainty.md`` (or ``--out``) sections of their own (the
previous section of the same kind is replaced).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import re
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy import datasets_dir, load_table
from examples.multiple_imputation import pooled_coefficient
from impute_assets.core.config import ImputerConfig
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import ColumnKind
from impute_assets.evaluation.masking import mask_cells

OUT = ROOT / "benchmarks" / "results" / "uncertainty.md"
#: The regression the ``mi`` run pools: outcome, predictors, the coefficient judged.
OUTCOME, PREDICTORS, COEFFICIENT = "body_mass_g", ("flipper_length_mm", "bill_length_mm"), 1


def coverage_rows(
    frame: pd.DataFrame,
    kinds: dict[str, ColumnKind],
    pattern: str,
    seed: int,
    coverage: float,
    device: str,
) -> list[dict]:
    """One row per masked column: hidden cells, those filled (the default gate leaves some),
    those covered, mean width / 90% spread or mean set size."""
    masked, mask = mask_cells(frame, pattern, 0.2, seed, kinds=kinds)
    config = ImputerConfig(seed=seed, device=device, coverage=coverage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Imputer(kinds=kinds, config=config).fit_impute(masked)
    rows = []
    for column, cells in result.uncertainty.items():
        hidden = mask[column].to_numpy()[cells.rows]
        truth = frame[column].to_numpy()[cells.rows][hidden]
        row = {"column": column, "hidden": int(mask[column].sum()), "filled": int(hidden.sum())}
        if cells.sets is not None:
            sets = cells.sets.take(np.flatnonzero(hidden)).tuples()
            row.update(
                kind="categorical",
                covered=int(sum(t in s for t, s in zip(truth, sets, strict=True))),
                size=float(np.mean([len(s) for s in sets])) if sets else np.nan,
            )
        else:
            lower, upper = (cells.lower[hidden].astype(float), cells.upper[hidden].astype(float))
            truth = truth.astype(float)
            low, high = np.nanpercentile(frame[column].to_numpy(dtype=float), [5, 95])
            row.update(
                kind="numeric",
                covered=int(((truth >= lower) & (truth <= upper)).sum()),
                width=float(np.mean(upper - lower) / (high - low)) if high > low else np.nan,
            )
        rows.append(row)
    left = [c for c in mask.columns if mask[c].any() and c not in result.uncertainty]
    rows += [
        {
            "column": c,
            "hidden": int(mask[c].sum()),
            "filled": 0,
            "covered": 0,
            "kind": kinds[c].value,
        }
        for c in left
    ]
    return rows


def run_coverage(args: argparse.Namespace) -> str:
    directory = datasets_dir()
    entries = {
        d["name"]: d for d in json.loads((directory / "manifest.json").read_text())["datasets"]
    }
    records = []
    started = time.perf_counter()
    for rows in args.rows:
        for name in args.datasets or list(entries):
            frame, kinds, _ = load_table(directory, entries[name], rows, 400)
            for pattern in args.patterns:
                for seed in args.seeds:
                    clock = time.perf_counter()
                    found = coverage_rows(frame, kinds, pattern, seed, args.coverage, args.device)
                    records += [
                        {"rows": rows, "table": name, "pattern": pattern, "seed": seed, **record}
                        for record in found
                    ]
                    filled = sum(r["filled"] for r in found)
                    print(
                        f"{rows:5d} {name:16s} {pattern} seed {seed}: coverage "
                        f"{sum(r['covered'] for r in found) / max(filled, 1):.3f} of {filled} filled "
                        f"({time.perf_counter() - clock:.0f}s)",
                        flush=True,
                    )
    results = pd.DataFrame(records)
    rows = "_".join(map(str, args.rows))
    results.to_csv(args.out.with_name(f"{args.out.stem}_coverage_{rows}.csv"), index=False)
    return render_coverage(results, args, time.perf_counter() - started)


def render_coverage(results: pd.DataFrame, args: argparse.Namespace, wall: float) -> str:
    """Per size tier x table x pattern: coverage (all, numeric, categorical), widths, sizes."""
    low, high = args.coverage - 0.03, args.coverage + 0.03
    lines = [
        coverage_heading(args.rows),
        "",
        _run_line(args, wall),
        "",
        (
            f"Nominal coverage {args.coverage:.0%}; 20% of each column's observed cells hidden "
            f"({', '.join(args.patterns)}; seeds {', '.join(map(str, args.seeds))}); counted over "
            "the hidden cells that were filled (default settings: the gate leaves cells and "
            "columns it cannot fill well), summed over seeds. *Width*: mean interval width "
            "over the column's own 90% spread (5th-95th percentile of its true values); *set "
            "size*: mean labels per prediction set; both over the filled cells. Target: every "
            f"table within {low:.0%}-{high:.0%}."
        ),
        "",
        "| rows | table | pattern | hidden | filled | coverage | numeric | categorical | width | set size | target |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (rows, table, pattern), part in results.groupby(["rows", "table", "pattern"], sort=False):
        share = part.covered.sum() / part.filled.sum() if part.filled.sum() else np.nan
        by_kind = {
            k: g.covered.sum() / g.filled.sum() if g.filled.sum() else np.nan
            for k, g in part.groupby("kind")
        }
        width, size = (_per_filled_cell(part, name) for name in ("width", "size"))
        met = (
            "met" if low <= share <= high else "NOT met" if part.filled.sum() else "nothing filled"
        )
        lines.append(
            f"| {rows} | {table} | {pattern} | {part.hidden.sum()} | {part.filled.sum()} "
            f"| {share:.3f} | {_num(by_kind.get('numeric'))} "
            f"| {_num(by_kind.get('categorical'))} | {_num(width)} | {_num(size)} | {met} |"
        )
    return "\n".join(lines)


def _per_filled_cell(part: pd.DataFrame, name: str) -> float:
    """The mean of a per-column mean ``name`` over the filled cells of ``part``'s columns: a
    column of one filled cell weighs one cell, not a column (a single 50-label set of
    loans' ``state`` doubled the table's mean set size when columns were averaged)."""
    if name not in part:
        return np.nan
    rows = part[part[name].notna() & (part.filled > 0)]
    return float(np.average(rows[name], weights=rows.filled)) if len(rows) else np.nan


def coverage_heading(rows: Sequence[int]) -> str:
    """The report section of a coverage run over these table sizes."""
    return f"## Coverage of intervals and prediction sets, {', '.join(map(str, rows))} rows"


def run_mi(args: argparse.Namespace) -> str:
    """The pooled interval's coverage of the full-data coefficient over ``args.masks`` masks."""
    frame = pd.read_parquet(datasets_dir() / "penguins.parquet")
    frame = frame.dropna(subset=[OUTCOME, *PREDICTORS]).reset_index(drop=True)
    full, _ = pooled_coefficient([frame], OUTCOME, list(PREDICTORS), COEFFICIENT)
    started, hits, records = time.perf_counter(), 0, []
    for seed in range(args.masks):
        masked, _ = mask_cells(frame, "mcar", 0.2, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = Imputer(seed=seed, device=args.device).fit_impute(
                masked, draws=args.draws, seed=seed
            )
        estimate, (low, high) = pooled_coefficient(
            result.draws, OUTCOME, list(PREDICTORS), COEFFICIENT
        )
        hit = low <= full <= high
        hits += hit
        records.append((estimate, high - low))
        print(
            f"mask {seed:2d}: pooled {estimate:.2f} [{low:.2f}, {high:.2f}] full {full:.2f} "
            f"{'covered' if hit else 'MISSED'}",
            flush=True,
        )
    wall = time.perf_counter() - started
    estimates, widths = np.array(records).T
    share = hits / args.masks
    return "\n".join(
        [
            "## Multiple imputation: pooled 95% interval of a regression coefficient",
            "",
            _run_line(args, wall),
            "",
            (
                f"penguins ({len(frame)} rows with the regression's columns observed), 20% of every "
                f"column's cells hidden MCAR (masks seeded 0-{args.masks - 1}); `Imputer()."
                f"fit_impute(masked, draws={args.draws})`; OLS of `{OUTCOME}` on "
                f"{', '.join(f'`{p}`' for p in PREDICTORS)} in each draw, pooled with Rubin's rules "
                "(`examples/multiple_imputation.py`)."
            ),
            "",
            f"- full-data coefficient of `{PREDICTORS[COEFFICIENT - 1]}`: {full:.3f}",
            (
                f"- pooled estimates: mean {estimates.mean():.3f} (sd {estimates.std():.3f} over "
                f"masks); mean 95% interval width {widths.mean():.3f}"
            ),
            (
                f"- the pooled 95% interval holds the full-data coefficient in {hits} of {args.masks} "
                f"masks ({share:.0%}); target >= 90%: {'met' if share >= 0.9 else 'NOT met'}"
            ),
        ]
    )


def _run_line(args: argparse.Namespace, wall: float) -> str:
    return (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPU cores (shared), "
        f"device `{args.device}`, {wall / 60:.1f} min. Command: "
        f"`python benchmarks/uncertainty.py {' '.join(sys.argv[1:])}`."
    )


def _num(value: float | None) -> str:
    return "-" if value is None or np.isnan(value) else f"{value:.3f}"


def write_section(text: str, heading: str, out: Path = OUT) -> None:
    """Replace the section that starts with ``heading`` in the report ``out`` (or append it)."""
    old = out.read_text() if out.exists() else "# Uncertainty benchmark\n"
    sections = re.split(r"(?m)^(?=## )", old)
    kept = [s for s in sections if not s.startswith(heading)]
    out.write_text("".join(kept).rstrip() + "\n\n" + text.rstrip() + "\n")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    cover = sub.add_parser("coverage", help="interval / set coverage on the accuracy tables")
    cover.add_argument("--rows", type=int, nargs="+", default=[500, 2000])
    cover.add_argument("--datasets", nargs="+")
    cover.add_argument("--patterns", nargs="+", default=["mcar"], choices=["mcar", "mar", "mnar"])
    cover.add_argument("--seeds", nargs="+", type=int, default=[0])
    cover.add_argument("--coverage", type=float, default=0.9)
    mi = sub.add_parser("mi", help="multiple imputation on penguins, pooled with Rubin's rules")
    mi.add_argument("--masks", type=int, default=50)
    mi.add_argument("--draws", type=int, default=20)
    for each in (cover, mi):
        each.add_argument("--device", default="auto")
        each.add_argument("--out", type=Path, default=OUT, help="the report to write into")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.what == "coverage":
        write_section(run_coverage(args), coverage_heading(args.rows), args.out)
    else:
        write_section(run_mi(args), "## Multiple imputation", args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
