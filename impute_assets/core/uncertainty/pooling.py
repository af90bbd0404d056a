"""Rubin's rules: pool an estimate computed on each of the m tables of a multiple imputation.

``Imputer().fit_impute(frame, draws=m).draws`` are m completed tables; an analysis run on
each gives m estimates and their (complete-data) variances. The pooled estimate is their mean;
its variance adds the mean within-table variance and, inflated by ``1 + 1/m``, the variance
between the tables' estimates: the share of the uncertainty the imputation itself carries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Pooled:
    """A pooled estimate, its variance parts, and Rubin's degrees of freedom."""

    estimate: float
    within: float
    between: float
    draws: int
    dof: float

    @property
    def variance(self) -> float:
        """The total variance: within + (1 + 1/m) between."""
        return self.within + (1 + 1 / self.draws) * self.between

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The ``level`` interval, t with Rubin's degrees of freedom."""
        half = stats.t.ppf(0.5 + level / 2, self.dof) * math.sqrt(self.variance)
        return self.estimate - half, self.estimate + half


def pool(
    estimates: Sequence[float], variances: Sequence[float], complete_dof: float = math.inf
) -> Pooled:
    """Rubin's rules over one estimate (and its variance) per completed table.

    ``complete_dof``: the analysis's own degrees of freedom (e.g. rows - parameters for OLS),
    used when the tables agree exactly (no between-table variance).
    """
    values, variance = np.asarray(estimates, float), np.asarray(variances, float)
    if values.shape != variance.shape or values.ndim != 1 or not len(values):
        raise ValueError(
            f"pool needs one variance per estimate, got {values.shape} estimates "
            f"and {variance.shape} variances"
        )
    m = len(values)
    within = float(variance.mean())
    between = float(values.var(ddof=1)) if m > 1 else 0.0
    dof = (m - 1) * (1 + within / ((1 + 1 / m) * between)) ** 2 if between > 0 else complete_dof
    return Pooled(float(values.mean()), within, between, m, dof)
