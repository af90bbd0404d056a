"""Two-sample Kolmogorov-Smirnov check against the observed histogram (GE 1.x has none).

The reference sample is the profile's histogram; the current column is counted below each of
its edges (strictly below inner edges, at-or-below the last one, matching ``np.histogram``),
either in pandas or in one SQL query, so both paths give the same statistic. The statistic is
the largest CDF gap over those edges (a lower bound of the exact KS statistic, finer with more
bins); the p-value is scipy's two-sample approximation with n*m/(n+m) effective samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from impute_assets.core.kinds import ColumnKind
from impute_assets.core.profile import numeric_values
from impute_assets.quality.result import ExpectationOutcome
from impute_assets.quality.suite import ExpectationSpec


def counts_below_in_frame(series: pd.Series, edges: Sequence[float]) -> tuple[list[int], int]:
    """Observed values of ``series`` below each edge, and how many are observed."""
    values = np.sort(numeric_values(series, ColumnKind.NUMERIC))
    sides = ["left"] * (len(edges) - 1) + ["right"]
    below = [int(np.searchsorted(values, e, side=s)) for e, s in zip(edges, sides, strict=True)]
    return below, len(values)


def counts_below_in_sql(
    conn: sa.Connection, table: sa.TableClause, column: str, edges: Sequence[float]
) -> tuple[list[int], int]:
    """Same as :func:`counts_below_in_frame`, computed in the database in one query."""
    col = sa.column(column)
    last = len(edges) - 1
    below = [
        sa.func.sum(sa.case(((col <= e) if i == last else (col < e), 1), else_=0))
        for i, e in enumerate(edges)
    ]
    row = conn.execute(sa.select(sa.func.count(col), *below).select_from(table)).one()
    return [int(v or 0) for v in row[1:]], int(row[0])


def evaluate(spec: ExpectationSpec, below: Sequence[int], observed: int) -> ExpectationOutcome:
    """The outcome of a KS spec given the current column's counts below each edge."""
    from scipy import stats

    counts = np.asarray(spec.kwargs["counts"], dtype=float)
    reference = np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])
    threshold = float(spec.kwargs["threshold"])
    if observed == 0:
        return ExpectationOutcome.from_spec(spec, success=False, observed_value=None,
                                            error="no observed values to compare")  # fmt: skip
    current = np.asarray(below, dtype=float) / observed
    # Values below the first edge or above the last widen the gap at the ends.
    statistic = float(np.max(np.abs(current - reference)))
    n_eff = observed * counts.sum() / (observed + counts.sum())
    p_value = float(stats.kstwo.sf(statistic, max(1, round(n_eff))))
    return ExpectationOutcome.from_spec(
        spec,
        success=statistic <= threshold,
        observed_value=statistic,
        details={"p_value": p_value, "threshold": threshold, "observed": observed},
    )
