"""Seeded missingness: hide a share of each column's observed cells, MCAR, MAR or MNAR.

- ``mcar``: every observed cell of a column is equally likely to be hidden.
- ``mar``: the chance grows with the rank of another column's value (the *driver*, a column with
  no missing values, preferring one that is not masked itself), so it depends on data that stays
  visible when the driver is not masked.
- ``mnar``: the chance grows with the rank of the cell's own value (larger numbers, later dates,
  and categories later in sorted order are hidden more often).

In ``mar`` and ``mnar`` a cell's weight is its percentile rank in (0, 1], so the top of the range
is hidden about twice as often as the middle. Each column loses ``round(fraction * observed)``
cells, never all of them; cells that were already missing and id/text columns are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from impute_assets.core.kinds import ColumnKind, infer_kinds

Pattern = Literal["mcar", "mar", "mnar"]
PATTERNS: tuple[str, ...] = ("mcar", "mar", "mnar")

#: Kinds whose cells the harness hides and scores.
MASKABLE_KINDS = frozenset({ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.DATETIME})


def mask_cells(
    df: pd.DataFrame,
    pattern: Pattern | str = "mcar",
    fraction: float = 0.2,
    seed: int = 0,
    columns: Sequence[str] | None = None,
    kinds: Mapping[str, ColumnKind] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hide a seeded share of each column's observed cells.

    Args:
        df: the table with its real values (and real gaps, which stay as they are).
        pattern: ``"mcar"``, ``"mar"`` or ``"mnar"`` (see the module docstring).
        fraction: share of each column's observed cells to hide, in (0, 1).
        seed: the same seed on the same frame hides the same cells.
        columns: columns to mask; default every numeric, categorical and datetime column.
        kinds: column kinds; inferred when not given.

    Returns:
        ``(masked, mask)``: a copy of ``df`` with the hidden cells set missing, and a boolean
        frame (same index and columns) that is True exactly where a cell was hidden.

    Example:
        >>> masked, mask = mask_cells(frame, "mar", fraction=0.2, seed=0)
        >>> mask.sum().to_dict()  # a fifth of each column's observed cells
        {'x': 40, 'y': 35, 'z': 40}
        >>> masked.isna().sum().to_dict()  # y's 27 real gaps stay
        {'x': 40, 'y': 62, 'z': 40}
    """
    if pattern not in PATTERNS:
        raise ValueError(f"mask_cells: pattern must be one of {PATTERNS}, got {pattern!r}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"mask_cells: fraction must be in (0, 1), got {fraction}")
    kinds = dict(kinds) if kinds is not None else infer_kinds(df)
    targets = _mask_targets(df, kinds, columns)
    rng = np.random.default_rng(seed)
    complete = [c for c in df.columns if kinds.get(c) in MASKABLE_KINDS and df[c].notna().all()]
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    for column in targets:
        observed = np.flatnonzero(df[column].notna().to_numpy())
        n_hide = min(round(fraction * len(observed)), len(observed) - 1)
        if n_hide <= 0:
            continue
        weights = _weights(df, column, observed, pattern, targets, complete, rng)
        chosen = rng.choice(observed, size=n_hide, replace=False, p=weights)
        mask.iloc[chosen, df.columns.get_loc(column)] = True
    masked = df.copy()
    for column in targets:
        if mask[column].any():
            masked[column] = masked[column].mask(mask[column])
    return masked, mask


def _mask_targets(
    df: pd.DataFrame, kinds: Mapping[str, ColumnKind], columns: Sequence[str] | None
) -> list[str]:
    if columns is None:
        return [c for c in df.columns if kinds.get(c) in MASKABLE_KINDS]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"mask_cells: columns not in the frame: {missing}; have {list(df.columns)}")
    refused = {c: str(kinds.get(c)) for c in columns if kinds.get(c) not in MASKABLE_KINDS}
    if refused:
        raise ValueError(
            f"mask_cells: cannot mask columns of kind {refused}; "
            f"only {sorted(k.value for k in MASKABLE_KINDS)} columns are masked"
        )
    return list(dict.fromkeys(columns))


def _weights(
    df: pd.DataFrame,
    column: str,
    observed: np.ndarray,
    pattern: str,
    targets: Sequence[str],
    complete: Sequence[str],
    rng: np.random.Generator,
) -> np.ndarray | None:
    """Sampling probabilities over ``observed`` rows (None means uniform)."""
    if pattern == "mcar":
        return None
    if pattern == "mnar":
        source = df[column]
    else:
        drivers = [c for c in complete if c != column and c not in targets]
        drivers = drivers or [c for c in complete if c != column]
        if not drivers:
            raise ValueError(
                f"mask_cells: MAR needs another column without missing values to drive "
                f"column {column!r}; none of {list(df.columns)} is complete"
            )
        source = df[drivers[int(rng.integers(len(drivers)))]]
    ranks = _percentile_ranks(source.iloc[observed])
    return ranks / ranks.sum()


def _percentile_ranks(values: pd.Series) -> np.ndarray:
    """Ranks in (0, 1]; ties share their mean rank; categories rank in sorted label order."""
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
        values = values.astype(str)
    return values.rank(method="average", pct=True).to_numpy(dtype=float)
