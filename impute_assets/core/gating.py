"""Gating: which columns and cells an imputer fills, and why it leaves the others.

Observed cells are sacred; invented ones must earn their place. What a column's gates need is
measured when it is fitted (:func:`column_facts`, kept with its model) and judged when it is
filled (:func:`column_verdict`), so a stored model is gated by the settings of the run that
uses it. The gates and their defaults are :class:`impute_assets.core.config.Gate`'s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from impute_assets.core import result as reasons
from impute_assets.core.config import Gate

#: A string column is free-text-like when at least this share of its observed values is
#: distinct (names, notes, addresses: a guess among them is an invention) ...
FREE_TEXT_UNIQUE_SHARE = 0.5
#: (counted once at least this many values are observed) ...
FREE_TEXT_MIN_ROWS = 20
#: ... or when its values are this long on average ...
FREE_TEXT_MIN_LENGTH = 20
#: ... and fewer than this many rows share each distinct value on average (a 10-valued
#: ``Comments`` column of sentences; a long species name shared by a hundred rows is a label).
FREE_TEXT_ROWS_PER_VALUE = 10
#: A numeric column whose observed values need more decimals than this has no grid.
GRID_DECIMALS = 6
#: Distinct observed values needed to trust a step coarser than the decimals they are written
#: with (two values 39.1 and 40.25 share the step 1.15, but do not make a grid of it).
GRID_MIN_VALUES = 5
#: The largest scaled numeric target (robust units: distance from the median in interquartile
#: spreads) whose squared error single precision still holds: a column with values beyond it
#: is left whole (one 1e308 among values near 1 trained to fills of ~1e36).
MAX_SCALED_TARGET = float(np.sqrt(np.finfo(np.float32).max))


def blank_as_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with empty and whitespace-only strings read as missing: they are not a
    category to learn from or fill with. Columns without any are shared, not copied."""
    blanks = {}
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            blank = _blank(series)
            if blank.any():
                blanks[column] = series.mask(blank)
    return frame.assign(**blanks) if blanks else frame


def _blank(series: pd.Series) -> pd.Series:
    """Where ``series`` holds an empty or whitespace-only string. Each distinct value is
    looked at once (a 1M-row column of 300 names: 300 checks, not a million), one at a time
    only in a column of unhashable values (e.g. lists)."""

    def blank(value: object) -> bool:
        return isinstance(value, str) and not value.strip()

    try:
        distinct = series.dropna().unique()
    except TypeError:  # unhashable values
        return series.map(blank, na_action="ignore").fillna(False).astype(bool)
    return series.isin([value for value in distinct if blank(value)])


def column_facts(
    series: pd.Series, numeric: bool, scaled: np.ndarray | None = None
) -> dict[str, Any]:
    """What the gates need to know about a target column, measured on the fitting rows: its
    missing share, whether it reads as free text, whether its observed values are all one
    value, and (numeric) the grid and range of those values and (given its ``scaled`` values)
    how many lie beyond single precision."""
    observed = series.dropna()
    facts: dict[str, Any] = {
        "missing_share": float(series.isna().mean()) if len(series) else 0.0,
        "free_text_like": free_text_like(observed),
    }
    if numeric and len(observed) and pd.api.types.is_numeric_dtype(observed.dtype):
        facts["grid"] = numeric_grid(observed.to_numpy(dtype=float))
    if len(observed) > 1 and observed.nunique() == 1:
        facts["one_value"] = True
    far = int(np.sum(np.abs(scaled) > MAX_SCALED_TARGET)) if scaled is not None else 0
    if far:
        facts["beyond_precision"] = far
    return facts


def free_text_like(observed: pd.Series) -> bool:
    """True for string values that are mostly distinct, or long ones few rows share."""
    if len(observed) < 2 or pd.api.types.is_numeric_dtype(observed.dtype):
        return False
    # a category's values are its labels (mapped as a category, a one-label column gave a
    # Categorical that cannot answer .all())
    values = (
        observed.astype(object) if isinstance(observed.dtype, pd.CategoricalDtype) else observed
    )
    # every value a string: one C pass (a Python call per value cost 0.1 s a column at 200,000
    # rows)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return False
    distinct = values.nunique()
    if len(values) >= FREE_TEXT_MIN_ROWS and distinct / len(values) >= FREE_TEXT_UNIQUE_SHARE:
        return True
    long = values.str.len().mean() >= FREE_TEXT_MIN_LENGTH
    return bool(long and len(values) / distinct < FREE_TEXT_ROWS_PER_VALUE)


def numeric_grid(values: np.ndarray) -> dict[str, float] | None:
    """The step every observed value is a multiple of (1 for integers, 0.5 for half steps,
    0.1 for one decimal...) and the observed range; ``None`` for continuous values."""
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return None
    low, high = float(values.min()), float(values.max())
    for decimals in range(GRID_DECIMALS + 1):
        scaled = values * 10**decimals
        if np.abs(scaled).max() >= 2**52:
            return {"step": 0.0, "low": low, "high": high}
        whole = np.round(scaled)
        if np.allclose(scaled, whole, rtol=0, atol=1e-6):
            distinct = np.unique(np.abs(whole).astype(np.int64))
            step = math.gcd(*distinct.tolist()) or 1 if len(distinct) >= GRID_MIN_VALUES else 1
            return {"step": step / 10**decimals, "low": low, "high": high}
    return {"step": 0.0, "low": low, "high": high}


def snap(values: np.ndarray, grid: dict[str, float] | None) -> np.ndarray:
    """Numeric fills on the column's own grid and within its observed range."""
    if not grid:
        return values
    out = np.clip(np.asarray(values, dtype=float), grid["low"], grid["high"])
    step = grid["step"]
    if step:
        out = np.round(out / step) * step
        out = np.round(out, GRID_DECIMALS)  # 0.1 * 3 is 0.30000000000000004
        out = np.clip(out, grid["low"], grid["high"])
    return out


def beyond_precision(facts: dict[str, Any]) -> str | None:
    """Why a numeric column's values cannot be trained on in single precision, from its
    facts (``None``: they can): the gates leave such a column whatever the fill mode."""
    far = facts.get("beyond_precision")
    if not far:
        return None
    return (
        f"{reasons.BEYOND_PRECISION} ({far} value(s) over {MAX_SCALED_TARGET:.2g} "
        "interquartile spreads from the median)"
    )


def column_verdict(holdout: dict[str, Any], gate: Gate, copies_text: bool = False) -> str | None:
    """Why a column is left whole under ``gate`` (``None``: its cells may be filled), from its
    model's held-out record. ``copies_text``: a free-text column the user asked to copy."""
    facts = holdout.get("facts", {})
    far = beyond_precision(facts)
    if far:
        return far
    share = facts.get("missing_share")
    if share is not None and share > gate.max_missing_share:
        return f"{reasons.MOSTLY_MISSING} ({share:.0%} > {gate.max_missing_share:.0%})"
    if copies_text:
        return None
    if gate.leave_free_text and facts.get("free_text_like"):
        return reasons.FREE_TEXT_LIKE
    if gate.min_gain_spreads is None:
        return None
    if facts.get("one_value"):
        return reasons.ONE_VALUE
    gain, spread = holdout.get("gain"), holdout.get("gain_spread")
    if gain is None or spread is None:
        return reasons.NO_HELD_OUT_GAIN
    if not gain > max(gate.min_gain_spreads * spread, 0.0) or gain <= 0:
        return (
            f"{reasons.NO_GAIN} (gain {gain:.3g} not above {gate.min_gain_spreads:g} x "
            f"spread {spread:.3g})"
        )
    return None
