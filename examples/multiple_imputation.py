"""Multiple imputation: fit a regression on each of m completed tables, pool it with Rubin's rules.

A single filled table treats every fill as if it had been observed, so a regression on it is
too sure of itself. ``Imputer().fit_impute(frame, draws=m)`` returns m completed tables whose
fills are drawn from their predictive distributions (observed cells identical in each); the
spread of the analysis over them is the imputation's share of the uncertainty.

    python examples/multiple_imputation.py penguins.parquet body_mass_g flipper_length_mm bill_length_mm
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

from impute_assets import pool


def ols(
    frame: pd.DataFrame, outcome: str, predictors: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients (intercept first) and their variances, on the rows with every value."""
    rows = frame[[outcome, *predictors]].dropna()
    x = np.column_stack([np.ones(len(rows)), rows[list(predictors)].to_numpy(dtype=float)])
    y = rows[outcome].to_numpy(dtype=float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    sigma2 = residual @ residual / (len(y) - x.shape[1])
    return beta, np.diag(np.linalg.inv(x.T @ x)) * sigma2


def pooled_coefficient(
    frames: Sequence[pd.DataFrame],
    outcome: str,
    predictors: Sequence[str],
    index: int = 1,
    level: float = 0.95,
) -> tuple[float, tuple[float, float]]:
    """Coefficient ``index`` (0: intercept) of the OLS on each completed frame, pooled by Rubin's
    rules: the mean estimate and its ``level`` interval. One frame gives its own OLS interval."""
    fits = [ols(frame, outcome, predictors) for frame in frames]
    pooled = pool(
        [beta[index] for beta, _ in fits],
        [var[index] for _, var in fits],
        complete_dof=len(frames[0]) - len(predictors) - 1,
    )
    return pooled.estimate, pooled.interval(level)


def main(path: str, outcome: str, *predictors: str) -> None:
    from impute_assets import Imputer

    frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    result = Imputer().fit_impute(frame, draws=20)
    estimate, (low, high) = pooled_coefficient(result.draws, outcome, predictors)
    print(
        f"{predictors[0]}: {estimate:.3f}, 95% interval [{low:.3f}, {high:.3f}] "
        f"(20 draws, Rubin's rules)"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
