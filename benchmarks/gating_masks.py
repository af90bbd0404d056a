"""Gating on one small table over many masks: is a miss of ``benchmarks/gating.py`` (one mask,
seed 0) the engine's or the mask's?

Per mask (20% of each column's observed cells hidden, MCAR, as in ``gating.py``), the default
gate (``fill: confident``): the filled categorical cells' mean stated confidence, their
realized accuracy and the chance of an accuracy that low or lower if every stated confidence
were true (Poisson-binomial); per numeric column, whether it was filled, the chosen model and
its held-out gain over mean/mode against the gain's spread (the column gate); the nRMSE of the
model's and of the mean's fills on the hidden cells (``fill: all``).

    PYTHONPATH=. python benchmarks/gating_masks.py --masks 10   # msleep, masks seeded 0-9
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.gating import masked_targets
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import ColumnKind


def at_most(stated: np.ndarray, right: int) -> float:
    """P(at most ``right`` of the cells are right) if each is right with its ``stated``
    probability (Poisson-binomial)."""
    chances = np.array([1.0])
    for p in stated:
        chances = np.convolve(chances, [1 - p, p])
    return float(chances[: right + 1].sum())


def wilson(right: int, cells: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95% Wilson interval of an accuracy of ``right`` out of ``cells``."""
    share, z2 = right / cells, z * z
    centre = (share + z2 / (2 * cells)) / (1 + z2 / cells)
    half = z * np.sqrt(share * (1 - share) / cells + z2 / (4 * cells**2)) / (1 + z2 / cells)
    return float(centre - half), float(centre + half)


def one_mask(frame: pd.DataFrame, seed: int) -> tuple[list[str], list[str], np.ndarray, int]:
    """The mask's calibration line, its numeric columns' lines, the stated confidences of its
    filled categorical cells and how many were right."""
    kinds, targets, masked, mask = masked_targets(frame, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        imputer = Imputer(seed=seed)
        gated = imputer.fit_impute(masked)
        every = Imputer(fill="all", seed=seed).fit_impute(masked)
    stated, right = [], 0
    numeric = []
    for column in targets:
        hidden = mask[column].to_numpy()
        filled = hidden & gated.imputed[column].to_numpy()
        if kinds[column] != ColumnKind.NUMERIC:
            if filled.any():
                stated += gated.confidence[column][filled].tolist()
                truth = frame[column][filled].astype(str).to_numpy()
                right += int((gated.frame[column][filled].astype(str).to_numpy() == truth).sum())
            continue
        truth, spread = frame[column][hidden].astype(float), float(frame[column].std()) or 1.0
        model_fill = every.frame[column][hidden].astype(float)
        mean_fill = float(masked[column].mean())
        holdout = imputer.column_models_[column].holdout
        numeric.append(
            f"| {seed} | {column} | {filled.sum()}/{hidden.sum()} | "
            f"{imputer.column_models_[column].chosen} | {holdout.splits} | "
            f"{_num(holdout.gain)} | {_num(holdout.gain_spread)} | "
            f"{np.sqrt(np.mean((model_fill - truth) ** 2)) / spread:.3f} | "
            f"{np.sqrt(np.mean((mean_fill - truth) ** 2)) / spread:.3f} |"
        )
    stated = np.array(stated)
    line = (
        f"| {seed} | {len(stated)} | {stated.mean():.3f} | {right / len(stated):.3f} | "
        f"{stated.mean() - right / len(stated):+.3f} | {at_most(stated, right):.2f} |"
        if len(stated)
        else f"| {seed} | 0 | - | - | - | - |"
    )
    return [line], numeric, stated, right


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--masks", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True, help="the markdown report")
    args = parser.parse_args(argv)
    frame = pd.read_csv(ROOT / "tests" / "data" / "msleep.csv", na_values=["NA"])
    started = time.perf_counter()
    calibration, numeric, stated, right = [], [], [], 0
    for seed in range(args.masks):
        lines, columns, confidences, hits = one_mask(frame, seed)
        calibration += lines
        numeric += columns
        stated += confidences.tolist()
        right += hits
        print(lines[0], flush=True)
    stated = np.array(stated)
    low, high = wilson(right, len(stated))
    command = "PYTHONPATH=. python benchmarks/gating_masks.py " + " ".join(argv or sys.argv[1:])
    text = [
        f"# Gating on msleep over {args.masks} masks",
        "",
        f"Command: `{command}`  ",
        (
            f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs (shared); "
            f"{time.perf_counter() - started:.0f} s. msleep (83 rows), 20% of each column's "
            f"observed cells hidden (MCAR, masks seeded 0-{args.masks - 1}), default gate."
        ),
        "",
        "## Stated confidence of the filled categorical cells against their accuracy",
        "",
        "*P(this low)*: the chance of so few right cells if every stated confidence were true.",
        "",
        "| mask | cells | stated | accuracy | gap | P(this low) |",
        "|---|---|---|---|---|---|",
        *calibration,
        (
            f"| all | {len(stated)} | {stated.mean():.3f} | {right / len(stated):.3f} | "
            f"{stated.mean() - right / len(stated):+.3f} | {at_most(stated, right):.2f} |"
        ),
        "",
        (
            f"Accuracy over every mask: {right}/{len(stated)}, 95% Wilson interval "
            f"[{low:.3f}, {high:.3f}]."
        ),
        "",
        "## Numeric columns: filled by the gate, and the gate's evidence",
        "",
        (
            "*gain*: the chosen model's held-out nRMSE gain over mean/mode (mean over *splits* "
            "repeated splits, or one split); *spread*: that gain's standard deviation over the "
            "splits (one split: its standard error over the cells); the column gate fills when "
            "gain > spread. *model* / *mean*: nRMSE on the hidden cells of the `fill: all` fills "
            "and of the observed mean."
        ),
        "",
        "| mask | column | filled/hidden | chosen | splits | gain | spread | model | mean |",
        "|---|---|---|---|---|---|---|---|---|",
        *numeric,
    ]
    args.out.write_text("\n".join(text) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
