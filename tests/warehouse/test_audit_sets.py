"""The audit rows' prediction sets are the JSON arrays ``json.dumps`` writes, label for label,
whatever the labels' types, encoded a batch of cells at a time in Arrow; audit rows made a part
at a time (``audit_rows``, a chunk of predicted rows each) are ``audit_frame``'s rows."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from impute_assets.core.jsonable import python_scalar
from impute_assets.warehouse import audit
from impute_assets.warehouse.audit import AUDIT_COLUMNS, AuditRows, audit_frame, audit_rows

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


def _random_sets(n: int = 300) -> list[tuple | None]:
    rng = np.random.default_rng(0)
    sets: list[tuple | None] = [
        None
        if rng.random() < 0.25
        else tuple(LABELS[j] for j in rng.permutation(len(LABELS))[: rng.integers(0, 6)])
        for _ in range(n)
    ]
    sets[:4] = [(True, 1, 1.0), (1, True), (), None]
    return sets


@pytest.mark.parametrize("batch", [1, 7, audit.SET_BATCH])
def test_prediction_sets_are_json_arrays_of_their_labels(monkeypatch, batch):
    monkeypatch.setattr(audit, "SET_BATCH", batch)
    sets = _random_sets()
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


@pytest.mark.parametrize("batch", [1, 7, 1_000])
def test_audit_rows_made_a_part_at_a_time_are_audit_frames_rows(monkeypatch, batch):
    """Cells split into parts (chunks of predicted rows), their sets coded a few cells at a
    time and loaded ``batch`` rows at a time: the rows ``audit_frame`` makes of all of them."""
    monkeypatch.setattr(audit, "SET_BATCH", 13)
    n = 300
    cells = _cells(_random_sets(n)).assign(
        column=[f"c{i % 3}" for i in range(n)],
        value=[f"{i}.5" for i in range(n)],
        lower=[None if i % 3 else f"{i}.0" for i in range(n)],
        upper=[None if i % 3 else f"{i}.9" for i in range(n)],
        model_version=[f"m{i % 2}" for i in range(n)],
    )
    frame = pd.DataFrame({"id": range(1000, 1000 + n)})
    at = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    labels = {"run_id": "r", "table": "t", "schema": "s", "at": at}
    partition = [None if i % 4 == 0 else f"p{i % 4}" for i in range(n)]
    whole = audit_frame(cells, frame, ["id"], partition=partition, **labels)
    bounds = [0, 1, 100, 100, 250, n]  # an empty part too
    rows = AuditRows.concat(
        audit_rows(cells[a:b], frame, ["id"], partition=partition[a:b], **labels)
        for a, b in itertools.pairwise(bounds)
    )
    assert len(rows) == n
    tables = list(rows.tables(batch))
    assert all(t.column_names == list(AUDIT_COLUMNS) for t in tables)
    got = pa.concat_tables(tables, promote_options="permissive").to_pylist()
    assert got == pa.Table.from_pandas(whole, preserve_index=False).to_pylist()
    assert rows.to_pandas()["prediction_set"].tolist()[:3] == ["[true, 1, 1.0]", "[1, true]", "[]"]
    drained = pa.concat_tables(list(rows.drain(batch)), promote_options="permissive")
    assert drained.to_pylist() == got and len(rows) == 0  # loaded once, then let go
