"""Temperature scaling of class probabilities."""

from __future__ import annotations

import numpy as np

from impute_assets.core.uncertainty.calibration import TEMPERATURES, fit_temperature, softmax


def test_overconfident_scores_are_softened_and_underconfident_ones_sharpened() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=2000)
    signal = np.eye(3)[labels]
    noisy = np.where(rng.random(2000) < 0.3, rng.integers(0, 3, size=2000), labels)
    overconfident = 20.0 * np.eye(3)[noisy]  # 70% right, claims ~100%
    assert fit_temperature(overconfident, labels) > 2.0
    assert fit_temperature(0.05 * signal, labels) < 0.5  # always right, claims ~35%


def test_a_split_it_gets_all_right_does_not_claim_certainty() -> None:
    labels = np.arange(60) % 3
    scores = 3.0 * np.eye(3)[labels]  # every held-out row right, by a modest margin
    temperature = fit_temperature(scores, labels)
    assert temperature > TEMPERATURES[0]
    right = softmax(scores, temperature)[np.arange(60), labels]
    assert right.min() < 1 - 1e-3  # still sure, but not certain
    # a row with little to go on keeps a spread
    assert softmax(np.array([[0.2, 0.0, 0.0]]), temperature).max() < 0.9
