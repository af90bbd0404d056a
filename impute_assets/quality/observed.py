"""The invariant no expectation suite can state: every observed cell is published unchanged.

Checked on the frames (the rows read and the rows about to be staged), before publishing; the
suite's other invariants are checked on the staged table itself.
"""

from __future__ import annotations

import pandas as pd

from impute_assets.quality.result import ExpectationOutcome
from impute_assets.quality.runner import EXAMPLES
from impute_assets.quality.suite import ExpectationSpec

OBSERVED_TYPE = "expect_observed_cells_to_be_unchanged"


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


def _plain(series: pd.Series) -> pd.Series:
    """Categoricals as their values (two categoricals compare only with equal categories)."""
    return series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
