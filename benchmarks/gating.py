"""Gating benchmark: what the default (``fill: confident``) fills and leaves, next to ``fill: all``.

One run, side by side on the same masked frames (20% of each column's observed cells hidden,
MCAR): a generated table (:func:`generated_table`: predictable columns beside an unrelated
high-cardinality name column, a 90%-missing column and a notes column) and real tables
(penguins and loans from the shared datasets, msleep from ``tests/data``). Per table it
reports, for both modes, the share of hidden cells filled and the nRMSE / accuracy of what was
filled, notes invented, cells filled in mostly-missing columns, and the gap between the stated
confidence of filled categorical cells and their realized accuracy; and, from the ``fill: all``
run, what each confidence threshold would keep (how the default thresholds were chosen).

    PYTHONPATH=. python benchmarks/gating.py              # writes benchmarks/results/gating.md
    PYTHONPATH=. python benchmarks/gating.py --quick      # the generated table only
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy import datasets_dir
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import IMPUTABLE_KINDS, ColumnKind, infer_kinds
from impute_assets.evaluation.masking import mask_cells

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "gating.md"
MODES = ("all", "confident")
#: An nRMSE counts as worse than today's only beyond this (the gated one is measured on fewer
#: cells: leaving one cell moves it by about that much on 70 hidden cells).
NOISE = 0.01
#: Thresholds the sweep reports (what a default would keep, from the ``fill: all`` run).
SWEEP = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7)
NOTES = [
    "Sexing primers did not amplify.",
    "Nest never observed with full clutch.",
    "Adult not sampled.",
    "Not enough blood for isotopes.",
    "No blood sample obtained.",
    "Chick not banded.",
    "Egg found broken near nest.",
    "Band number unreadable.",
    "Measured twice, mean recorded.",
    "Partner not observed.",
]
#: Loans columns used (a mix of numeric, categorical, free-text-like and mostly-missing).
LOANS = [
    "emp_title",
    "emp_length",
    "state",
    "homeownership",
    "annual_income",
    "verified_income",
    "debt_to_income",
    "annual_income_joint",
    "interest_rate",
    "grade",
    "loan_amount",
    "term",
    "installment",
    "total_credit_lines",
    "open_credit_lines",
]


@dataclass
class Roles:
    """Which columns a table's targets speak of (empty where the table has none)."""

    predictable: list[str] = field(default_factory=list)
    unrelated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mostly_missing: list[str] = field(default_factory=list)


def generated_table(rows: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, Roles]:
    """Predictable columns (``y``, ``score`` in half steps, ``count`` integers, ``segment``)
    beside an unrelated first-name column of ~800 values, a notes column of 10 sentences on 15%
    of the rows, and ``rare``, predictable but missing in 90% of its rows."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    names = np.array(
        [
            f"{a}{b}"
            for a in (
                "Al",
                "Bo",
                "Ca",
                "Di",
                "El",
                "Fa",
                "Gu",
                "Ha",
                "Io",
                "Ju",
                "Ka",
                "Lu",
                "Mi",
                "No",
                "Ol",
                "Pe",
                "Qu",
                "Ra",
                "Si",
                "To",
            )
            for b in (
                "na",
                "ra",
                "la",
                "ko",
                "mi",
                "ne",
                "ta",
                "ri",
                "so",
                "va",
                "de",
                "bo",
                "lu",
                "ze",
                "fi",
                "gu",
                "po",
                "xa",
                "ye",
                "wu",
                "ca",
                "do",
                "ex",
                "fo",
                "gi",
                "hu",
                "ja",
                "ki",
                "le",
                "mo",
                "nu",
                "pa",
                "qi",
                "ro",
                "su",
                "ti",
                "um",
                "vi",
                "wo",
                "yi",
            )
        ]
    )
    frame = pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "y": 2 * x1 - x2 + rng.normal(scale=0.3, size=rows),
            "score": np.clip(np.round((x1 + 2) * 2) / 2, 0, 4),
            "count": np.round(np.exp(1 + 0.5 * x2)).astype(float),
            "segment": np.where(x1 > 0, np.where(x2 > 0, "a", "b"), np.where(x2 > 0, "c", "d")),
            "first_name": rng.choice(names, size=rows),
            "notes": np.where(rng.random(rows) < 0.15, rng.choice(NOTES, size=rows), None),
            "rare": np.where(
                rng.random(rows) < 0.1, 3 * x1 + rng.normal(scale=0.2, size=rows), np.nan
            ),
        }
    )
    return frame, Roles(["y", "score", "count", "segment"], ["first_name"], ["notes"], ["rare"])


def real_tables() -> dict[str, tuple[pd.DataFrame, Roles]]:
    """penguins and 2,000 rows of loans (shared datasets), msleep (tests/data)."""
    directory = datasets_dir()
    penguins = pd.read_parquet(directory / "penguins.parquet")
    loans = pd.read_parquet(directory / "loans.parquet", columns=LOANS).sample(2000, random_state=0)
    msleep = pd.read_csv(ROOT / "tests" / "data" / "msleep.csv", na_values=["NA"])
    return {
        "penguins": (penguins, Roles(mostly_missing=_mostly_missing(penguins))),
        "loans (2,000 rows)": (
            loans.reset_index(drop=True),
            Roles(unrelated=["emp_title"], mostly_missing=_mostly_missing(loans)),
        ),
        "msleep": (msleep, Roles(mostly_missing=_mostly_missing(msleep))),
    }


def _mostly_missing(frame: pd.DataFrame) -> list[str]:
    """The columns missing in more than half their rows (the default gate's bound)."""
    return [c for c in frame.columns if frame[c].isna().mean() > 0.5]


@dataclass
class ColumnScore:
    table: str
    mode: str
    column: str
    kind: str
    hidden: int
    filled: int
    nrmse: float | None
    accuracy: float | None
    confidence: float | None
    filled_all_gaps: int  # every gap of the column filled, hidden or not
    why_left: str


def masked_targets(
    frame: pd.DataFrame, seed: int
) -> tuple[dict[str, ColumnKind], list[str], pd.DataFrame, pd.DataFrame]:
    """The kinds, the columns masked (imputable ones with >= 10 observed cells, datetimes
    aside), the masked copy (20% MCAR, ``seed``) and the mask."""
    kinds = infer_kinds(frame)
    targets = [
        c
        for c, k in kinds.items()
        if k in IMPUTABLE_KINDS | {ColumnKind.TEXT} and frame[c].notna().sum() >= 10
    ]
    targets = [c for c in targets if kinds[c] != ColumnKind.DATETIME]
    masked, mask = mask_cells(
        frame,
        "mcar",
        0.2,
        seed,
        targets,
        {c: (ColumnKind.CATEGORICAL if k == ColumnKind.TEXT else k) for c, k in kinds.items()},
    )
    return kinds, targets, masked, mask


def run_table(
    name: str, frame: pd.DataFrame, roles: Roles, seed: int
) -> tuple[list[ColumnScore], dict]:
    """Both modes on one masked copy of ``frame``; the scores and the ``fill: all`` sweep."""
    kinds, targets, masked, mask = masked_targets(frame, seed)
    scores, sweep = [], {}
    for mode in MODES:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = Imputer(fill=mode, seed=seed).fit_impute(masked)
        seconds = time.perf_counter() - started
        report = {r.column: r for r in result.report}
        for column in targets:
            hidden = mask[column].to_numpy()
            filled = hidden & result.imputed[column].to_numpy()
            truth, guess = frame[column][filled], result.frame[column][filled]
            numeric = kinds[column] == ColumnKind.NUMERIC
            nrmse = accuracy = confidence = None
            if numeric and filled.any():
                spread = float(frame[column].std()) or 1.0
                nrmse = float(
                    np.sqrt(np.mean((guess.astype(float) - truth.astype(float)) ** 2)) / spread
                )
            elif filled.any():
                accuracy = float(
                    (guess.astype(str).to_numpy() == truth.astype(str).to_numpy()).mean()
                )
                confidence = float(result.confidence[column][filled].mean())
            row = report.get(column)
            scores.append(
                ColumnScore(
                    name,
                    mode,
                    column,
                    kinds[column].value,
                    int(hidden.sum()),
                    int(filled.sum()),
                    nrmse,
                    accuracy,
                    confidence,
                    int(result.imputed[column].sum()),
                    "; ".join(row.reasons) if row and row.reasons else "",
                )
            )
        if mode == "all":
            sweep = _sweep(frame, result, mask, kinds, targets)
        print(f"{name}: fill {mode} in {seconds:.1f}s", flush=True)
    return scores, sweep


def _sweep(frame, result, mask, kinds, targets) -> dict[str, list[tuple[float, float, float]]]:
    """Per kind: for each threshold, the share of hidden cells kept and their quality."""
    cells = {"categorical": [], "numeric": []}
    for column in targets:
        hidden = mask[column].to_numpy() & result.imputed[column].to_numpy()
        if not hidden.any():
            continue
        confidence = result.confidence[column].to_numpy()[hidden]
        truth, guess = frame[column][hidden], result.frame[column][hidden]
        if kinds[column] == ColumnKind.NUMERIC:
            spread = float(frame[column].std()) or 1.0
            error = ((guess.astype(float) - truth.astype(float)) / spread).to_numpy() ** 2
            cells["numeric"] += list(zip(confidence, error, strict=True))
        else:
            right = guess.astype(str).to_numpy() == truth.astype(str).to_numpy()
            cells["categorical"] += list(zip(confidence, right, strict=True))
    out = {}
    for kind, pairs in cells.items():
        if not pairs:
            continue
        conf, value = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs], dtype=float)
        rows = []
        for threshold in SWEEP:
            keep = conf >= threshold
            quality = (
                (
                    float(np.sqrt(value[keep].mean()))
                    if kind == "numeric"
                    else float(value[keep].mean())
                )
                if keep.any()
                else float("nan")
            )
            rows.append((threshold, float(keep.mean()), quality))
        out[kind] = rows
    return out


def render(
    scores: list[ColumnScore], sweeps: dict, roles: dict[str, Roles], command: str, seconds: float
) -> str:
    frame = pd.DataFrame([s.__dict__ for s in scores])
    lines = [
        "# Gating: what the default fills and leaves, next to `fill: all`",
        "",
        f"Command: `{command}`  ",
        (
            f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
            f"{os.cpu_count()} CPUs (shared); {seconds:.0f} s in all. 20% of each column's observed "
            "cells hidden (MCAR, seed 0); scores over the hidden cells that were filled."
        ),
        "",
        "## Targets",
        "",
        "| table | target | measured | holds |",
        "|---|---|---|---|",
    ]
    lines += _targets(frame, roles)
    header = (
        "| table | column | kind | hidden | filled (all) | filled (default) | nRMSE all -> "
        "default | accuracy all -> default | why left (default) |"
    )
    lines += [
        "",
        "## Per column (hidden cells filled, and the quality of what was filled)",
        "",
        header,
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (table, column), group in frame.groupby(["table", "column"], sort=False):
        a, d = (group[group["mode"] == m].iloc[0] for m in MODES)
        lines.append(
            f"| {table} | {column} | {a.kind} | {a.hidden} | {_share(a)} | {_share(d)} "
            f"| {_num(a.nrmse)} -> {_num(d.nrmse)} | {_num(a.accuracy)} -> "
            f"{_num(d.accuracy)} | {d.why_left} |"
        )
    intro = (
        "Share of hidden cells a threshold keeps and the quality of those kept (accuracy "
        "for categorical cells, nRMSE for numeric ones). Defaults: 0.5 (categorical), 0.4 "
        "(numeric)."
    )
    lines += [
        "",
        "## Threshold sweep (from the `fill: all` runs, hidden cells of every table)",
        "",
        intro,
        "",
        "| table | kind | " + " | ".join(f">= {t}" for t in SWEEP) + " |",
        "|---|---|" + "---|" * len(SWEEP),
    ]
    for table, sweep in sweeps.items():
        for kind, rows in sweep.items():
            cells = " | ".join(f"{keep:.0%}: {quality:.3f}" for _, keep, quality in rows)
            lines.append(f"| {table} | {kind} | {cells} |")
    return "\n".join(lines) + "\n"


def _targets(frame: pd.DataFrame, roles: dict[str, Roles]) -> list[str]:
    lines = []
    default = frame[frame["mode"] == "confident"]
    today = frame[frame["mode"] == "all"]
    for table, role in roles.items():
        mine = default[default["table"] == table]
        for column in role.unrelated:
            row = mine[mine["column"] == column].iloc[0]
            share = row.filled / max(row.hidden, 1)
            right = row.accuracy if row.accuracy is not None and row.filled else None
            holds = share <= 0.10 or (right is not None and right >= 0.5)
            lines.append(
                f"| {table} | unrelated `{column}` filled on <= 10% of hidden cells "
                f"(or >= 50% right) | {share:.1%} filled, accuracy {_num(right)} | "
                f"{_yes(holds)} |"
            )
        for column in role.notes:
            row = mine[mine["column"] == column].iloc[0]
            lines.append(
                f"| {table} | 0 notes invented (`{column}`) | {row.filled_all_gaps} | "
                f"{_yes(row.filled_all_gaps == 0)} |"
            )
        for column in role.mostly_missing:
            row = mine[mine["column"] == column].iloc[0]
            lines.append(
                f"| {table} | mostly-missing `{column}` left | {row.filled_all_gaps} "
                f"cells filled | {_yes(row.filled_all_gaps == 0)} |"
            )
        categorical = mine[mine["accuracy"].notna() & (mine["filled"] > 0)]
        if len(categorical):
            weight = categorical["filled"]
            conf = float(np.average(categorical["confidence"], weights=weight))
            acc = float(np.average(categorical["accuracy"], weights=weight))
            lines.append(
                f"| {table} | stated confidence of filled categorical cells within "
                f"0.05 of accuracy | {conf:.3f} vs {acc:.3f} ({conf - acc:+.3f}) on "
                f"{int(weight.sum())} cells | {_yes(abs(conf - acc) <= 0.05)} |"
            )
        predictable = role.predictable or _predictable(
            today[today["table"] == table], role.mostly_missing
        )
        numeric = [c for c in predictable if (mine[mine["column"] == c]["kind"] == "numeric").any()]
        if numeric:
            now = mine[mine["column"].isin(numeric)]
            before = today[(today["table"] == table) & today["column"].isin(numeric)]
            kept = now["filled"].sum() / max(before["hidden"].sum(), 1)
            pooled_now, pooled_before = _pooled_nrmse(now), _pooled_nrmse(before)
            worse = [c for c in numeric if _nrmse(now, c) > _nrmse(before, c) + NOISE]
            holds = kept >= 0.9 and pooled_now <= pooled_before + NOISE and not worse
            lines.append(
                f"| {table} | >= 90% of hidden numeric cells of predictable columns "
                f"({', '.join(numeric)}) filled, nRMSE no worse | {kept:.1%} filled; "
                f"pooled nRMSE {pooled_before:.3f} -> {pooled_now:.3f}; worse by more "
                f"than {NOISE} on {worse or 'none'} | {_yes(holds)} |"
            )
    return lines


def _predictable(today: pd.DataFrame, mostly_missing: list[str]) -> list[str]:
    """Real tables: numeric columns that ``fill: all`` fills at a hidden-cell nRMSE < 0.9
    (mostly-missing ones aside: leaving them is a target of its own)."""
    chosen = today[(today["kind"] == "numeric") & (today["nrmse"] < 0.9)]["column"]
    return [c for c in chosen if c not in mostly_missing]


def _pooled_nrmse(frame: pd.DataFrame) -> float:
    """The nRMSE over every filled hidden cell of ``frame``'s columns (cells weigh alike)."""
    filled = frame[frame["filled"] > 0]
    if filled.empty:
        return float("nan")
    return float(np.sqrt(np.average(filled["nrmse"].astype(float) ** 2, weights=filled["filled"])))


def _nrmse(frame: pd.DataFrame, column: str) -> float:
    value = frame[frame["column"] == column]["nrmse"].iloc[0]
    return float("inf") if value is None or pd.isna(value) else float(value)


def _share(row) -> str:
    return f"{row.filled / max(row.hidden, 1):.0%}"


def _num(value) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.3f}"


def _yes(holds: bool) -> str:
    return "yes" if holds else "**no**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the generated table only")
    parser.add_argument("--rows", type=int, default=2000, help="rows of the generated table")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tables = {"generated": generated_table(args.rows)}
    if not args.quick:
        tables.update(real_tables())
    scores, sweeps = [], {}
    for name, (frame, roles) in tables.items():
        table_scores, sweeps[name] = run_table(name, frame, roles, seed=0)
        scores += table_scores
    command = (
        "PYTHONPATH=. python benchmarks/gating.py" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    )
    text = render(
        scores,
        sweeps,
        {n: r for n, (_, r) in tables.items()},
        command,
        time.perf_counter() - started,
    )
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
