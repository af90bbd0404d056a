"""The audit rows' ``row_key`` is the JSON object ``json.dumps`` writes of each row's key
values, whatever the key columns' types (integers of every width and storage made text by
Arrow, the rest value by value)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from impute_assets.core.jsonable import python_scalar
from impute_assets.warehouse.audit import audit_frame

N = 6
KEYS = {
    "int64": pd.Series([0, -1, 2**62, -(2**63), 7, 42], dtype="int64"),
    "uint64": pd.Series([0, 1, 2**64 - 1, 3, 4, 5], dtype="uint64"),
    "int8": pd.Series([0, -128, 127, 1, 2, 3], dtype="int8"),
    "nullable": pd.Series([1, 2, 3, 4, 5, 6], dtype="Int64"),
    "arrow": pd.Series([10, 20, 30, 40, 50, -60], dtype=pd.ArrowDtype(pa.int64())),
    "text": pd.Series(["a", 'say "hi"', "Zürich", "", "\\", "x"]),
    "bool": pd.Series([True, False, True, False, True, False]),
    "float": pd.Series([0.5, 1.0, -2.25, 1e16, 3.0, 0.1]),
    "time": pd.Series(pd.date_range("2024-01-01", periods=N, freq="h", tz="UTC")),
    "date": pd.Series([dt.date(2024, 1, d) for d in range(1, N + 1)], dtype=object),
}


def _expected(frame: pd.DataFrame, rows: list[int]) -> list[str]:
    return [
        json.dumps(
            {c: python_scalar(frame[c].iloc[r]) for c in frame.columns}, default=str, sort_keys=True
        )
        for r in rows
    ]


@pytest.mark.parametrize("names", [[n] for n in KEYS] + [["text", "int64"], ["date", "arrow"]])
def test_row_keys_are_json_objects_of_the_key_values(names):
    frame = pd.DataFrame({n: KEYS[n] for n in names}, index=np.arange(100, 100 + N))
    rows = [3, 0, 5, 3]  # repeated and out of order, as filled cells are
    cells = pd.DataFrame(
        {
            "row": frame.index[rows],
            "column": ["c"] * len(rows),
            "value": ["v"] * len(rows),
            "confidence": [0.5] * len(rows),
            "model_version": ["m"] * len(rows),
        }
    )
    audit = audit_frame(cells, frame, names, run_id="r", table="t")
    assert audit["row_key"].tolist() == _expected(frame, rows)
    assert audit.index.equals(pd.RangeIndex(len(rows)))
