"""The uncertainty benchmark's coverage rows, on a small table: counts that add up, intervals
and prediction sets read from the imputer's result as it gives them."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.kinds import ColumnKind


@pytest.fixture
def uncertainty(benchmark_module):
    return benchmark_module("uncertainty")


def test_coverage_rows_count_the_hidden_cells_each_interval_or_set_holds(uncertainty):
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "y": 2 * x + rng.normal(scale=0.3, size=n),
            "sign": np.where(x + rng.normal(scale=0.3, size=n) > 0, "pos", "neg"),
        }
    )
    kinds = {"x": ColumnKind.NUMERIC, "y": ColumnKind.NUMERIC, "sign": ColumnKind.CATEGORICAL}
    rows = {r["column"]: r for r in uncertainty.coverage_rows(frame, kinds, "mcar", 0, 0.9, "cpu")}
    assert set(rows) == set(kinds)
    for row in rows.values():
        assert 0 <= row["covered"] <= row["filled"] <= row["hidden"] == 60
    assert rows["sign"]["kind"] == "categorical" and rows["y"]["kind"] == "numeric"
    filled = rows["sign"]["filled"]
    assert filled > 0 and 0 < rows["sign"]["size"] <= 2.0  # a smoothed rule may give an empty set
    assert rows["sign"]["covered"] >= 0.7 * filled  # sets of a ~90% rule, on a learnable sign
    assert rows["y"]["covered"] >= 0.7 * rows["y"]["filled"] > 0


def test_the_report_averages_set_size_and_width_over_filled_cells_not_columns(uncertainty):
    # one cell of a 50-label set beside 99 cells of one label: 1.49 labels a set, not 25.5
    results = pd.DataFrame(
        [
            {"column": "state", "kind": "categorical", "hidden": 100, "filled": 1, "size": 50.0},
            {"column": "term", "kind": "categorical", "hidden": 100, "filled": 99, "size": 1.0},
            {"column": "left", "kind": "categorical", "hidden": 100, "filled": 0},
            {"column": "x", "kind": "numeric", "hidden": 100, "filled": 30, "width": 0.2},
            {"column": "y", "kind": "numeric", "hidden": 100, "filled": 10, "width": 0.6},
        ]
    ).assign(rows=2000, table="t", pattern="mcar", seed=0, covered=lambda f: f.filled)
    args = argparse.Namespace(coverage=0.9, rows=[2000], patterns=["mcar"], seeds=[0], device="cpu")
    row = uncertainty.render_coverage(results, args, 1.0).splitlines()[-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[8:10] == ["0.300", "1.490"]  # width (0.2 * 30 + 0.6 * 10) / 40, set size
