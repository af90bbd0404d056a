"""The audit rows' prediction sets are the JSON arrays ``json.dumps`` writes, label for label,
whatever the labels' types, encoded a batch of cells at a time in Arrow."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.jsonable import python_scalar
from impute_assets.warehouse import audit
from impute_assets.warehouse.audit import audit_frame

#: Labels that compare equal across types (1, 1.0, True; 0 and False) must keep their own text.
LABELS = [
    "Oslo",
    'say "hi"',
    "Zürich",
    True,
    False,
    1,
    1.0,
    0,
    np.int64(3),
    np.float64(2.5),
    float("nan"),
    pd.Timestamp("2024-01-01", tz="UTC"),
    dt.date(2024, 1, 2),
]


def _cells(sets: list[tuple | None]) -> pd.DataFrame:
    n = len(sets)
    return pd.DataFrame(
        {
            "row": range(n),
            "column": ["c"] * n,
            "value": ["v"] * n,
            "confidence": [0.5] * n,
            "model_version": ["m"] * n,
            "prediction_set": pd.Series(sets, dtype=object),
        }
    )


def _expected(sets: list[tuple | None]) -> list[str | None]:
    return [
        None if s is None else json.dumps([python_scalar(v) for v in s], default=str) for s in sets
    ]


@pytest.mark.parametrize("batch", [1, 7, audit.SET_BATCH])
def test_prediction_sets_are_json_arrays_of_their_labels(monkeypatch, batch):
    monkeypatch.setattr(audit, "SET_BATCH", batch)
    rng = np.random.default_rng(0)
    sets: list[tuple | None] = [
        None
        if rng.random() < 0.25
        else tuple(LABELS[j] for j in rng.permutation(len(LABELS))[: rng.integers(0, 6)])
        for _ in range(300)
    ]
    sets[:4] = [(True, 1, 1.0), (1, True), (), None]
    rows = audit_frame(
        _cells(sets), pd.DataFrame({"id": range(300)}), ["id"], run_id="r", table="t"
    )
    got = [None if pd.isna(v) else v for v in rows["prediction_set"]]
    assert got == _expected(sets)
    assert got[:3] == ["[true, 1, 1.0]", "[1, true]", "[]"]


def test_no_sets_leave_the_column_empty():
    rows = audit_frame(
        _cells([None, None]), pd.DataFrame({"id": [0, 1]}), ["id"], run_id="r", table="t"
    )
    assert rows["prediction_set"].tolist() == [None, None]


def test_text_columns_already_text_are_taken_as_they_are():
    """Values and interval ends that are pandas text already (as core's cells are) give the
    same audit rows as the same cells as Python objects, on a filtered (gappy) index."""
    n = 50
    cells = pd.DataFrame(
        {
            "row": range(n),
            "column": ["c"] * n,
            "value": [f"{i}.5" for i in range(n)],
            "confidence": [0.5] * n,
            "model_version": ["m"] * n,
            "lower": [None if i % 3 else f"{i}.0" for i in range(n)],
            "upper": [None if i % 3 else f"{i}.9" for i in range(n)],
        }
    )
    as_objects = cells.astype(dict.fromkeys(("value", "lower", "upper"), object))
    assert cells["value"].dtype == "str" and as_objects["value"].dtype == object
    kept = np.arange(n) % 4 != 1
    frame = pd.DataFrame({"id": range(100, 100 + n)})
    at = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    rows = [
        audit_frame(c[kept], frame, ["id"], run_id="r", table="t", at=at)
        for c in (cells, as_objects)
    ]
    pd.testing.assert_frame_equal(rows[0], rows[1])
    assert rows[0]["imputed_value"].tolist()[:2] == ["0.5", "2.5"]
    assert rows[0]["lower"].isna().tolist()[:3] == [False, True, False]
