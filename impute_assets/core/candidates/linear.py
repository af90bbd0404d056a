"""The ridge-regression candidate (torch-native): one-hot class targets for categories."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Candidate,
    FittedColumn,
    HeldOutFit,
    Observed,
    RawInputs,
    Split,
)

RIDGE = 1.0


class Linear(Candidate):
    name = names.LINEAR
    description = "ridge regression on the design (class scores for categories)"
    blendable = True
    repeatable = True

    def holdout_fit(self, split: Split, hint: Any = None) -> HeldOutFit | None:
        if not len(split.hold_rows):
            return None
        target = split.target
        beta = linear_fit(
            split.z_train, split.y_train, target.numeric, target.classes, split.weight
        )
        return HeldOutFit(linear_predict(beta, split.z_hold, target.numeric))

    def refit(self, observed: Observed, hint: Any = None) -> dict[str, np.ndarray]:
        target = observed.target
        return {
            self.name: linear_fit(
                observed.z, observed.y, target.numeric, target.classes, observed.weight
            )
        }

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        return linear_predict(model.arrays[self.name], inputs.z, model.numeric)


def linear_fit(
    z: np.ndarray, y: np.ndarray, numeric: bool, classes: int, weight: np.ndarray | None = None
) -> np.ndarray:
    """Ridge coefficients (features + intercept, outputs); one-hot targets for classes; rows
    weighted by ``weight`` when given."""
    x = torch.from_numpy(np.hstack([z, np.ones((len(z), 1), np.float32)])).double()
    target = (
        torch.from_numpy(y[:, None].astype(np.float64))
        if numeric
        else torch.nn.functional.one_hot(torch.from_numpy(y.astype(np.int64)), classes).double()
    )
    if weight is not None:
        root = torch.from_numpy(np.sqrt(weight.astype(np.float64)))[:, None]
        x, target = x * root, target * root
    gram = x.T @ x + RIDGE * torch.eye(x.shape[1], dtype=torch.float64)
    gram[-1, -1] -= RIDGE  # leave the intercept unpenalised
    return torch.linalg.solve(gram, x.T @ target).numpy()


def linear_predict(beta: np.ndarray, z: np.ndarray, numeric: bool) -> np.ndarray:
    out = np.hstack([z, np.ones((len(z), 1), np.float32)]).astype(np.float64) @ beta
    return out[:, 0] if numeric else out
