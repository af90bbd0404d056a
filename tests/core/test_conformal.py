"""Intervals, prediction sets and draws: calibrated on held-out cells, kept with the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets import Imputer
from impute_assets.core.uncertainty.conformal import bound, holdout_coverage

FAST = {"candidates": ("linear", "mean_mode"), "device": "cpu", "seed": 0}


def _table(rows: int, seed: int) -> pd.DataFrame:
    """x drives y (noise growing with |x|) and the label; 20% of y and label hidden."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    y = 3 * x + rng.normal(scale=0.5 + np.abs(x), size=rows)
    label = np.where(x + rng.normal(scale=0.8, size=rows) > 0, "high", "low")
    return pd.DataFrame({"x": x, "y": y, "label": label})


def _hide(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hidden = frame.copy()
    for column in ("y", "label"):
        hidden.loc[rng.random(len(frame)) < 0.2, column] = None
    return hidden


def _covered(result, truth: pd.DataFrame, column: str) -> np.ndarray:
    cells = result.uncertainty[column]
    true = truth[column].to_numpy()[cells.rows]
    if cells.sets is not None:
        return np.array([t in s for t, s in zip(true, cells.sets, strict=True)])
    return (true >= cells.lower.astype(float)) & (true <= cells.upper.astype(float))


@pytest.mark.parametrize("coverage", [0.9, 0.5])
def test_intervals_and_sets_cover_hidden_cells_at_their_coverage(coverage):
    truth = _table(3000, seed=1)
    result = Imputer(coverage=coverage, **FAST).fit_impute(_hide(truth, seed=2))
    numeric, labels = _covered(result, truth, "y"), _covered(result, truth, "label")
    assert len(numeric) > 400 and len(labels) > 400
    assert coverage - 0.06 <= numeric.mean() <= coverage + 0.06
    # a set holds the fill at least, so it may cover more than asked, never much less
    assert coverage - 0.06 <= labels.mean() <= max(coverage + 0.06, 0.95)
    report = result.report_frame().set_index("column")
    assert report.loc["y", "coverage"] == coverage
    assert abs(report.loc["y", "holdout_coverage"] - coverage) < 0.1
    assert 0 < report.loc["y", "width_to_spread"] < 1.5
    assert 1 <= report.loc["label", "mean_set_size"] <= 2


def test_wider_coverage_gives_wider_intervals_around_the_same_fills():
    frame = _hide(_table(800, seed=3), seed=4)
    imputer = Imputer(coverage=0.5, **FAST).fit(frame)
    narrow = imputer.impute(frame).uncertainty["y"]
    wide = imputer.set_params(coverage=0.95)
    wide.config_ = wide.settings()  # coverage is a runtime setting: no refit needed
    wide = wide.impute(frame).uncertainty["y"]
    assert (wide.width > narrow.width).all()
    assert (wide.lower.astype(float) <= narrow.lower.astype(float)).all()


def test_cells_carry_interval_ends_and_prediction_sets():
    frame = _hide(_table(400, seed=5), seed=6)
    cells = Imputer(**FAST).fit_impute(frame).cells()
    numeric, labels = cells[cells["column"] == "y"], cells[cells["column"] == "label"]
    assert numeric["lower"].notna().all() and numeric["prediction_set"].isna().all()
    assert (numeric["lower"].astype(float) <= numeric["value"].astype(float)).all()
    assert (numeric["value"].astype(float) <= numeric["upper"].astype(float)).all()
    assert labels["lower"].isna().all()
    assert all(
        value in s for value, s in zip(labels["value"], labels["prediction_set"], strict=True)
    )


def test_intervals_survive_save_and_load(tmp_path):
    frame = _hide(_table(400, seed=7), seed=8)
    imputer = Imputer(**FAST).fit(frame)
    before = imputer.impute(frame).uncertainty["y"]
    after = Imputer.load(imputer.save(tmp_path / "imputer")).impute(frame).uncertainty["y"]
    np.testing.assert_allclose(after.lower.astype(float), before.lower.astype(float))


def test_draws_keep_observed_cells_and_vary_the_filled_ones():
    frame = _hide(_table(500, seed=9), seed=10)
    result = Imputer(**FAST).fit_impute(frame, draws=4, seed=1)
    assert len(result.draws) == 4
    observed = frame.notna()
    for completed in result.draws:
        pd.testing.assert_frame_equal(completed[observed], frame[observed])
        assert (completed.isna() == result.frame.isna()).all().all()
    filled = result.imputed["y"]
    first, second = result.draws[0]["y"][filled], result.draws[1]["y"][filled]
    assert (first != second).mean() > 0.9
    assert (
        result.draws[0]["label"][result.imputed["label"]]
        != result.draws[1]["label"][result.imputed["label"]]
    ).any()
    again = Imputer(**FAST).fit_impute(frame, draws=1, seed=1).draws[0]
    pd.testing.assert_frame_equal(again, result.draws[0])


def test_conformal_bound_needs_enough_held_out_cells():
    scores = np.arange(1, 10, dtype=float)  # 9 cells: the 90% bound needs ceil(10 * 0.9) = 9
    assert bound(scores, 0.9, numeric=True) == 9.0
    assert bound(scores[:8], 0.9, numeric=True) == np.inf
    assert bound(None, 0.9, numeric=True) == pytest.approx(1.6449, abs=1e-3)
    assert holdout_coverage(None, 0.9, numeric=True) is None


def test_integer_columns_get_the_integers_inside_their_interval():
    rng = np.random.default_rng(11)
    x = rng.normal(size=1500)
    truth = pd.DataFrame({"x": x, "count": np.round(4 * x + rng.normal(scale=1.5, size=1500))})
    hidden = truth.copy()
    hidden.loc[rng.random(1500) < 0.2, "count"] = None
    result = Imputer(**FAST).fit_impute(hidden)
    cells = result.uncertainty["count"]
    lower, upper = cells.lower.astype(float), cells.upper.astype(float)
    fills = result.frame["count"].to_numpy()[cells.rows]
    assert (lower == np.round(lower)).all() and (upper == np.round(upper)).all()
    assert ((lower <= fills) & (fills <= upper)).all()
    # rounding the ends outwards would cover far more than asked
    assert 0.84 <= _covered(result, truth, "count").mean() <= 0.95
