"""The invariants no expectation suite can state: every observed cell is published unchanged,
and every filled number is finite (a column may hold observed infinities, so its range check
cannot tell an observed ``inf`` from a filled one).

Checked on the frames (the rows read and the rows about to be staged), before publishing; the
suite's other invariants are checked on the staged table itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impute_assets.quality.result import ExpectationOutcome
from impute_assets.quality.runner import EXAMPLES
from impute_assets.quality.suite import ExpectationSpec

OBSERVED_TYPE = "expect_observed_cells_to_be_unchanged"
FINITE_TYPE = "expect_filled_numbers_to_be_finite"


def observed_unchanged(source: pd.DataFrame, filled: pd.DataFrame) -> ExpectationOutcome:
    """Whether ``filled`` keeps every non-missing cell of ``source`` (same rows, same values)."""
    spec = ExpectationSpec(type=OBSERVED_TYPE, tolerance=None)
    changed, examples = 0, []
    for column in source.columns:
        observed = source[column].notna()
        before = source.loc[observed, column]
        after = (filled[column] if column in filled.columns
                 else pd.Series(pd.NA, index=filled.index)).reindex(before.index)  # fmt: skip
        differs = ~_plain(after).eq(_plain(before)).fillna(False).astype(bool)
        changed += int(differs.sum())
        examples += [f"{column}[{row}]: {before[row]!r} -> {after[row]!r}"
                     for row in before.index[differs][: EXAMPLES - len(examples)]]  # fmt: skip
    return ExpectationOutcome.from_spec(spec, success=changed == 0, unexpected_count=changed,
                                        unexpected_examples=examples)  # fmt: skip


def fills_finite(filled: pd.DataFrame, imputed: pd.DataFrame) -> ExpectationOutcome:
    """Whether every cell ``imputed`` marks as filled holds a finite value (numbers only)."""
    spec = ExpectationSpec(type=FINITE_TYPE, tolerance=None)
    bad, examples = 0, []
    for column in imputed.columns:
        values = filled[column]
        if not pd.api.types.is_float_dtype(values.dtype):
            continue
        infinite = imputed[column].to_numpy(dtype=bool) & np.isinf(
            values.to_numpy(dtype=float, na_value=np.nan)
        )
        bad += int(infinite.sum())
        examples += [
            f"{column}[{values.index[row]}]: {float(values.iloc[row])!r}"
            for row in np.flatnonzero(infinite)[: EXAMPLES - len(examples)]
        ]
    return ExpectationOutcome.from_spec(spec, success=bad == 0, unexpected_count=bad,
                                        unexpected_examples=examples)  # fmt: skip


def _plain(series: pd.Series) -> pd.Series:
    """Categoricals as their values (two categoricals compare only with equal categories)."""
    return series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
