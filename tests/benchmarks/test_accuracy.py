"""The accuracy benchmark's files, on a tiny table and the cheap peers: the report, one row per
run, and one row per masked column of every run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


def test_a_run_writes_the_report_the_runs_and_the_columns(tmp_path, monkeypatch, benchmark_module):
    accuracy = benchmark_module("accuracy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=80)
    frame = pd.DataFrame(
        {"x": x, "y": x + rng.normal(scale=0.1, size=80), "c": np.where(x > 0, "a", "b")}
    )
    frame.to_parquet(tmp_path / "tiny.parquet")
    columns = [
        {"name": "x", "kind": "numeric", "n_unique": 80},
        {"name": "y", "kind": "numeric", "n_unique": 80},
        {"name": "c", "kind": "categorical", "n_unique": 2},
    ]
    manifest = {"datasets": [{"name": "tiny", "file": "tiny.parquet", "columns": columns}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("IMPUTE_ASSETS_DATASETS", str(tmp_path))
    out = tmp_path / "out" / "acc.md"
    argv = ["--rows", "80", "--seeds", "0", "--methods", "mean_mode", "knn", "--out", str(out)]
    assert accuracy.main(argv) == 0

    runs = pd.read_csv(out.with_suffix(".csv"))
    per_column = pd.read_csv(tmp_path / "out" / "acc_columns.csv")
    assert len(runs) == 2 * 2  # mcar and mar x two methods
    assert len(per_column) == len(runs) * 3
    assert set(per_column.column) == {"x", "y", "c"}
    # the per-column scores are what the run's overall means are made of
    for (pattern, method), part in per_column.groupby(["pattern", "method"]):
        run = runs[(runs.pattern == pattern) & (runs.method == method)].iloc[0]
        assert np.isclose(part.nrmse.mean(), run.nrmse)
        assert np.isclose(part.accuracy.mean(), run.accuracy)
    assert "tiny" in out.read_text()
