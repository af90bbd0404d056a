"""The blend averages the top-ranked candidates, as many as score best held-out together."""

from __future__ import annotations

import numpy as np

from impute_assets.core.candidates.blend import blend_members
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
    members = blend_members(outputs, truth, _numeric_target(truth))
    assert set(members) == {"network", "boosted"}


def test_equally_good_independent_candidates_are_all_averaged():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=400)
    outputs = {name: truth + rng.normal(0, 0.5, 400) for name in ("network", "linear", "knn")}
    members = blend_members(outputs, truth, _numeric_target(truth))
    assert set(members) == {"network", "linear", "knn"}


def test_categorical_members_carry_their_temperatures():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 3, 300)
    confident = np.log(np.eye(3)[truth] * 0.8 + 0.1)
    outputs = {
        "network": confident + rng.normal(0, 0.5, (300, 3)),
        "boosted": confident + rng.normal(0, 0.5, (300, 3)),
    }
    target = TargetData("c", False, 3, truth.astype(float), np.zeros(300, bool), np.ones(300, bool))
    members = blend_members(outputs, truth, target)
    assert set(members) == {"network", "boosted"}
    assert all(t > 0 for t in members.values())
