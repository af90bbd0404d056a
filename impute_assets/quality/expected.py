"""The distribution a column should have once filled, judged by what its fill method can do.

A mean/mode fill puts every filled cell at one value: the mean stays, but the spread shrinks and
the histogram gains a spike there. No mean/mode fill can match the observed spread or shape, so
the distribution checks of such a column compare against the observed values plus that spike.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from impute_assets.core.profile import ColumnProfile


def mean_mode_filled(observed: ColumnProfile, value: Any, filled: int) -> ColumnProfile:
    """``observed`` as it is after ``filled`` more cells were set to ``value``."""
    if filled <= 0 or observed.count == 0 or value is None:
        return observed
    if observed.histogram_counts:
        return _numeric(observed, float(value), filled)
    if observed.top_values:
        counts = dict(observed.top_values)
        counts[value] = counts.get(value, 0) + filled
        top = tuple(sorted(counts.items(), key=lambda item: -item[1]))
        return replace(observed, top_values=top, count=observed.count + filled,
                       missing=max(0, observed.missing - filled))  # fmt: skip
    return observed


def _numeric(col: ColumnProfile, value: float, filled: int) -> ColumnProfile:
    n, mean, std = col.count, float(col.mean), float(col.std or 0.0)
    total = n + filled
    new_mean = (n * mean + filled * value) / total
    squares = (n - 1) * std**2 + n * (mean - new_mean) ** 2 + filled * (value - new_mean) ** 2
    counts = list(col.histogram_counts)
    edges = np.asarray(col.histogram_edges)
    counts[int(np.clip(np.searchsorted(edges, value, side="right") - 1, 0, len(counts) - 1))] += (
        filled
    )
    return replace(
        col,
        count=total,
        missing=max(0, col.missing - filled),
        min=min(col.min, value),
        max=max(col.max, value),
        mean=new_mean,
        std=math.sqrt(squares / (total - 1)) if total > 1 else 0.0,
        histogram_counts=tuple(counts),
    )
