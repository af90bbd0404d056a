"""Intervals, prediction sets and draws: calibrated on held-out cells, kept with the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets import Imputer
from impute_assets.core.uncertainty.conformal import accepted, holdout_coverage, radius

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
        return np.array([t in s for t, s in zip(true, cells.sets.tuples(), strict=True)])
    return (true >= cells.lower.astype(float)) & (true <= cells.upper.astype(float))


@pytest.mark.parametrize("coverage", [0.9, 0.5])
def test_intervals_and_sets_cover_hidden_cells_at_their_coverage(coverage):
    truth = _table(3000, seed=1)
    result = Imputer(coverage=coverage, **FAST).fit_impute(_hide(truth, seed=2))
    numeric, labels = _covered(result, truth, "y"), _covered(result, truth, "label")
    assert len(numeric) > 400 and len(labels) > 400
    assert coverage - 0.06 <= numeric.mean() <= coverage + 0.06
    # the fills are right ~78% of the time: at 50% some sets are empty, so none covers more
    assert coverage - 0.06 <= labels.mean() <= coverage + 0.06
    report = result.report_frame().set_index("column")
    assert report.loc["y", "coverage"] == coverage
    assert abs(report.loc["y", "holdout_coverage"] - coverage) < 0.1
    assert 0 < report.loc["y", "width_to_spread"] < 1.5
    assert (0.5 if coverage < 0.78 else 1) <= report.loc["label", "mean_set_size"] <= 2


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
    # a set that is not empty holds the fill (the most probable label) first
    assert all(
        not s or s[0] == value
        for value, s in zip(labels["value"], labels["prediction_set"], strict=True)
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


def test_smoothed_rule_reaches_the_widest_interval_only_as_often_as_needed():
    ordered = np.arange(1, 10, dtype=float)  # 9 cells: (1 - 0.9) * 10 = 1 score must lie above
    u = np.linspace(0.01, 0.99, 99)
    assert (radius(ordered, u, 0.9) == 9.0).all()
    # 8 cells: 0.9 scores above; the plain rule's ceil(9 * 0.9) = 9th score does not exist
    widest = radius(ordered[:8], u, 0.9)
    assert set(np.unique(widest)) == {8.0, np.inf}
    assert np.isinf(widest).mean() == pytest.approx(0.1, abs=0.02)
    assert holdout_coverage(None, 0.9, numeric=True) is None


@pytest.mark.parametrize("right", [0.97, 0.7])
def test_smoothed_rule_covers_exactly_where_the_fill_alone_covers_more(right):
    """Scores with an atom at 0 (the fill is right) and continuous ones above it: over many
    small held-out splits the rule covers 90%; the plain rule covers at least ``right``."""
    rng = np.random.default_rng(0)

    def scores(size):
        return np.where(rng.random(size) < right, 0.0, rng.uniform(0.2, 1.0, size))

    hits = []
    for _ in range(2000):
        ordered, test = np.sort(scores(30)), scores(20)
        hits.append(accepted(ordered, test, rng.random(20), 0.9).mean())
    assert np.mean(hits) == pytest.approx(0.9, abs=0.01)
    assert holdout_coverage(scores(4000), 0.9, numeric=False) == pytest.approx(0.9, abs=0.02)


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


@pytest.mark.parametrize("seed", range(40))
def test_bisected_set_sizes_equal_the_rule_counted_label_by_label(seed):
    """A set's size is bisected along the ranked labels; it is the count of labels the
    smoothed rule takes, ties and never-learnt (infinite) scores included, and a row whose
    more-probable mass does not grow is counted in full."""
    from impute_assets.core.uncertainty.conformal import _taken, accepted

    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 300)), int(rng.integers(1, 40))
    probabilities = rng.dirichlet(np.full(k, rng.choice([0.05, 0.5, 5.0])), size=n)
    if seed % 2:
        probabilities = np.round(probabilities, 2)  # tied labels
    ranked = -np.sort(-probabilities, axis=1)
    above = np.cumsum(ranked, axis=1) - ranked
    if seed % 5 == 0 and k > 2:
        above[:, 1] = above[:, 2] + 0.1  # not growing along the row
    scores = rng.random(int(rng.integers(1, 200))).astype(np.float32)
    if seed % 3 == 0:
        scores = np.round(scores, 1)  # tied held-out scores
        scores[: len(scores) // 3] = np.inf
    ordered, u = np.sort(scores), rng.random(n)
    coverage = float(rng.choice([0.5, 0.8, 0.9, 0.99]))
    expected = accepted(ordered, above, u[:, None], coverage).sum(axis=1)
    np.testing.assert_array_equal(_taken(ordered, above, u, coverage), expected)
