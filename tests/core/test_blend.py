"""The blend: numeric members weighted by held-out least squares; categorical ones (and
numeric ones of few held-out cells) the top-ranked, as many as score best together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from impute_assets.core.candidates.blend import (
    MIN_WEIGHT,
    STACK_CELLS,
    blend_members,
    simplex_weights,
)
from impute_assets.core.imputer import Imputer
from impute_assets.core.nets.training import TargetData


def _numeric_target(truth: np.ndarray) -> TargetData:
    rows = len(truth)
    return TargetData("y", True, 1, truth, np.zeros(rows, bool), np.ones(rows, bool))


def test_a_poor_candidate_is_left_out_of_the_average():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=400)
    outputs = {
        "network": truth + rng.normal(0, 0.3, 400),
        "boosted": truth + rng.normal(0, 0.3, 400),
        "linear": rng.normal(size=400),
    }  # knows nothing
    mix = blend_members(outputs, truth, _numeric_target(truth))
    assert set(mix.members) == {"network", "boosted"}
    assert abs(sum(mix.weights.values()) - 1) < 1e-9


def test_the_better_of_two_independent_candidates_weighs_more():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=2000)
    outputs = {"network": truth + rng.normal(0, 0.3, 2000), "knn": truth + rng.normal(0, 0.6, 2000)}
    mix = blend_members(outputs, truth, _numeric_target(truth))
    # independent errors of variance 0.09 and 0.36: the best weights are 0.8 and 0.2
    assert abs(mix.weights["network"] - 0.8) < 0.05
    assert abs(mix.weights["knn"] - 0.2) < 0.05


def test_equally_good_independent_candidates_are_all_averaged_about_equally():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=400)
    outputs = {name: truth + rng.normal(0, 0.5, 400) for name in ("network", "linear", "knn")}
    mix = blend_members(outputs, truth, _numeric_target(truth))
    assert set(mix.members) == {"network", "linear", "knn"}
    assert all(abs(w - 1 / 3) < 0.1 for w in mix.weights.values())


def test_no_blend_when_one_candidate_would_take_all_the_weight():
    rng = np.random.default_rng(3)
    truth = rng.normal(size=400)
    outputs = {"network": truth + rng.normal(0, 0.1, 400), "linear": rng.normal(size=400)}
    assert blend_members(outputs, truth, _numeric_target(truth)) is None


def test_few_held_out_cells_average_the_top_members_equally():
    rng = np.random.default_rng(5)
    truth = rng.normal(size=STACK_CELLS - 1)
    outputs = {
        "network": truth + rng.normal(0, 0.2, len(truth)),
        "boosted": truth + rng.normal(0, 0.2, len(truth)),
        "linear": rng.normal(size=len(truth)),
    }
    mix = blend_members(outputs, truth, _numeric_target(truth))
    assert set(mix.members) == {"network", "boosted"} and mix.weights is None


def test_a_member_not_finite_leaves_the_equal_average():
    rng = np.random.default_rng(6)
    truth = rng.normal(size=200)
    outputs = {name: truth + rng.normal(0, 0.3, 200) for name in ("network", "boosted")}
    outputs["boosted"][3] = np.inf
    mix = blend_members(outputs, truth, _numeric_target(truth))
    assert set(mix.members) == {"network", "boosted"} and mix.weights is None


def test_simplex_weights_sum_to_one_and_follow_the_row_weights():
    rng = np.random.default_rng(4)
    truth = rng.normal(size=600)
    first, second = truth.copy(), truth.copy()
    first[:300] += rng.normal(0, 1, 300)  # wrong on the first half, right on the second
    second[300:] += rng.normal(0, 1, 300)
    values = np.stack([first, second])
    assert np.allclose(simplex_weights(values, truth), [0.5, 0.5], atol=0.1)
    rows = np.r_[np.full(300, 10.0), np.full(300, 0.1)]  # the first half counts most
    weights = simplex_weights(values, truth, rows)
    assert abs(weights.sum() - 1) < 1e-9
    assert weights[1] > 0.9


def test_categorical_members_carry_their_temperatures():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 3, 300)
    confident = np.log(np.eye(3)[truth] * 0.8 + 0.1)
    outputs = {
        "network": confident + rng.normal(0, 0.5, (300, 3)),
        "boosted": confident + rng.normal(0, 0.5, (300, 3)),
    }
    target = TargetData("c", False, 3, truth.astype(float), np.zeros(300, bool), np.ones(300, bool))
    mix = blend_members(outputs, truth, target)
    assert set(mix.members) == {"network", "boosted"}
    assert mix.weights is None
    assert all(t > 0 for t in mix.members.values())


def test_a_weighted_blend_fills_by_its_weights_and_reads_back_equal(tmp_path):
    rng = np.random.default_rng(0)
    rows = 600
    x = rng.normal(size=(rows, 4))
    frame = pd.DataFrame(x, columns=list("abcd"))
    # half linear, half a step: ridge and the trees each see part of it
    frame["y"] = x[:, 0] + np.sign(x[:, 1]) + 0.3 * rng.normal(size=rows)
    frame.loc[rng.random(rows) < 0.3, "y"] = np.nan
    fitted = Imputer(candidates=("linear", "knn", "boosted", "blend"), seed=0).fit(frame)
    unit = fitted.column_models_["y"]
    assert unit.chosen == "blend"
    weights = unit.calibration.weights
    assert set(weights) == set(unit.calibration.members)
    assert abs(sum(weights.values()) - 1) < 1e-9 and min(weights.values()) >= MIN_WEIGHT
    filled = fitted.transform(frame)
    gaps = frame["y"].isna().to_numpy()
    # the fill is the weighted average of the members' own fills
    members = {
        name: Imputer(candidates=(name,), seed=0).fit(frame).transform(frame)["y"][gaps]
        for name in weights
    }
    expected = sum(weights[name] * values for name, values in members.items())
    assert np.allclose(filled["y"][gaps], expected, atol=1e-6)
    loaded = Imputer.load(fitted.save(tmp_path / "saved"))
    assert loaded.column_models_["y"].calibration.weights == weights
    pd.testing.assert_frame_equal(loaded.transform(frame), filled)
