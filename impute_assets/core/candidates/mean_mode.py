"""The mean/mode candidate: the column's (weighted) mean, or its class frequencies.

The baseline: fitted for every column, whatever ``ImputerConfig.candidates`` says; every other
candidate's gain is measured against it, and it fills columns too small to score anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Candidate,
    FittedColumn,
    HeldOutFit,
    Observed,
    RawInputs,
    Split,
    row_weight,
)


class MeanMode(Candidate):
    name = names.MEAN_MODE
    description = "the column's mean (numbers) or class frequencies (categories)"
    repeatable = True
    baseline = True

    def holdout_fit(self, split: Split, hint: Any = None) -> HeldOutFit:
        """Fitted on the training rows (every row of a column too small to hold any out)."""
        target, rows = split.target, split.train_rows if len(split.train_rows) else None
        y = target.y if rows is None else target.y[rows]
        state = mean_mode_fit(y, target.numeric, target.classes, row_weight(target, rows))
        return HeldOutFit(mean_mode_predict(state, len(split.hold_rows), target.numeric))

    def refit(self, observed: Observed, hint: Any = None) -> dict[str, np.ndarray]:
        target = observed.target
        return {
            self.name: mean_mode_fit(observed.y, target.numeric, target.classes, observed.weight)
        }

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        return mean_mode_predict(model.arrays[self.name], len(inputs.rows), model.numeric)


def mean_mode_fit(
    y: np.ndarray, numeric: bool, classes: int, weight: np.ndarray | None = None
) -> np.ndarray:
    """The (weighted) mean scaled value, or log class frequencies (smoothed)."""
    weight = np.ones(len(y)) if weight is None else weight
    if numeric:
        keep = np.isfinite(y) & (weight > 0)
        return np.array(
            [np.average(y[keep], weights=weight[keep]) if keep.any() else 0.0], dtype=np.float64
        )
    keep = y >= 0
    counts = np.bincount(y[keep].astype(int), weights=weight[keep], minlength=classes) + 1e-3
    return np.log(counts / counts.sum())


def mean_mode_predict(state: np.ndarray, rows: int, numeric: bool) -> np.ndarray:
    return np.full(rows, state[0]) if numeric else np.tile(state, (rows, 1))
