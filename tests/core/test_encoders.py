"""Categorical encoding: every observed value finds its vocabulary row, whatever the dtype."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from impute_assets.core.encoders import MISSING_INDEX, RARE_INDEX, RESERVED, CategoricalEncoder


@pytest.mark.parametrize("series", [
    pd.Series([3, 1, 1, 2]),
    pd.Series([3.5, 1.0, 1.0, np.nan]),
    pd.Series(pd.array([3, 1, 1, None], dtype="Int64")),
    pd.Series(pd.array([True, False, False, None], dtype="boolean")),
    pd.Series(["c", "a", "a", None]),
    pd.Series(pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-01", None])),
    pd.Series(pd.array([[3], [1], [1], None], dtype=pd.ArrowDtype(pa.list_(pa.int64())))),
], ids=["int64", "float64", "Int64", "boolean", "str", "datetime", "list"])
def test_observed_values_get_their_vocabulary_row(series: pd.Series) -> None:
    encoder = CategoricalEncoder.fit(series)
    expected = [MISSING_INDEX if pd.api.types.is_scalar(v) and pd.isna(v)
                else encoder.values.index(v) + RESERVED if not isinstance(v, np.ndarray)
                else next(i for i, w in enumerate(encoder.values) if list(w) == list(v)) + RESERVED
                for v in series.to_numpy(dtype=object)]
    assert encoder.indices(series).tolist() == expected
    assert RARE_INDEX not in expected


def test_mixed_object_values_stay_apart() -> None:
    """1, 1.0 and True are distinct categories; a value outside the vocabulary is rare."""
    encoder = CategoricalEncoder.fit(pd.Series([1, True, "x"], dtype=object))
    query = pd.Series([1, 1.0, True, False, "x", None], dtype=object)
    codes = encoder.indices(query) - RESERVED
    assert [type(encoder.values[c]) for c in codes[[0, 2, 4]]] == [int, bool, str]
    assert codes[1] == codes[3] == RARE_INDEX - RESERVED and codes[5] == MISSING_INDEX - RESERVED
