"""Column kind inference and overrides."""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.kinds import ColumnKind, infer_kind, infer_kinds


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        (pd.Series([1.5, 2.0, None]), ColumnKind.NUMERIC),
        (pd.Series([1, 1, 2] * 10, dtype="Int64"), ColumnKind.NUMERIC),
        (pd.Series(range(50), dtype="Int64"), ColumnKind.ID),
        (pd.Series(["a", "b", None] * 10), ColumnKind.CATEGORICAL),
        (pd.Series([True, False, None]), ColumnKind.CATEGORICAL),
        (pd.Series(pd.Categorical(["x", "y"])), ColumnKind.CATEGORICAL),
        (pd.Series(pd.date_range("2024", periods=3, tz="UTC")), ColumnKind.DATETIME),
        (pd.Series([f"user-{i}" for i in range(30)]), ColumnKind.ID),
        (
            pd.Series([f"a long sentence of free text, variant number {i}" for i in range(30)]),
            ColumnKind.TEXT,
        ),
        (pd.Series([decimal.Decimal("1.5"), decimal.Decimal("2.25"), None]), ColumnKind.NUMERIC),
        (pd.Series([pd.Timedelta(1), pd.Timedelta(2)]), ColumnKind.UNSUPPORTED),
        (pd.Series(np.array([1 + 2j, 3j])), ColumnKind.UNSUPPORTED),
    ],
)
def test_infer_kind(series: pd.Series, kind: ColumnKind) -> None:
    assert infer_kind(series) == kind


def test_overrides_and_exclusions() -> None:
    frame = pd.DataFrame({"zip": [1, 2, 3], "drop": [1, 2, 3], "x": [0.1, 0.2, 0.3]})
    kinds = infer_kinds(frame, overrides={"zip": "categorical"}, exclude=["drop"])
    assert kinds == {"zip": ColumnKind.CATEGORICAL, "x": ColumnKind.NUMERIC}
    with pytest.raises(KeyError, match="nope"):
        infer_kinds(frame, exclude=["nope"])
