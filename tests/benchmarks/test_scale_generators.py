"""The scale benchmark's table generators and its scoring of hidden cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.mark.parametrize("name", ["latent3", "factors6", "skewed"])
def test_each_generator_is_seeded_and_shaped_as_asked(benchmark_module, name) -> None:
    scale = benchmark_module("scale")
    table = scale.GENERATORS[name](500, 6, 3, seed=1)
    assert table.shape == (500, 9) and table.notna().all().all()
    assert scale.categorical_columns(table) == ["c0", "c1", "c2"]
    pd.testing.assert_frame_equal(table, scale.GENERATORS[name](500, 6, 3, seed=1))
    assert not table.equals(scale.GENERATORS[name](500, 6, 3, seed=2))


def test_the_skewed_table_holds_amounts_counts_and_a_many_level_category(
    benchmark_module,
) -> None:
    table = benchmark_module("scale").make_skewed_table(4000, 3, 2, seed=0)
    amounts, counts = table["x0"], table["x1"]
    assert (amounts > 0).all() and amounts.skew() > 2  # log-normal: long right tail
    assert (counts >= 0).all() and (counts == np.round(counts)).all() and (counts == 0).any()
    assert table["c0"].nunique() == 40 and table["c1"].nunique() == 4


def test_scores_are_perfect_on_the_truth_and_count_only_hidden_cells(benchmark_module) -> None:
    scale = benchmark_module("scale")
    truth = scale.make_skewed_table(400, 3, 2, seed=0)
    masked = scale.hide(truth, 0.25, seed=0)
    assert 0.15 < masked.isna().to_numpy().mean() < 0.35
    assert scale.scores(truth, masked, truth) == {"nrmse": 0.0, "accuracy": 1.0}
    wrong = truth.copy()
    wrong.loc[masked["c0"].notna(), "c0"] = "nowhere"  # observed cells are not scored
    assert scale.scores(truth, masked, wrong)["accuracy"] == 1.0
    wrong.loc[masked["c0"].isna(), "c0"] = "nowhere"
    assert scale.scores(truth, masked, wrong)["accuracy"] < 1.0
