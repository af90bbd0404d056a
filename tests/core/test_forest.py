"""The random-forest candidate: categories of more classes than LightGBM takes, flat arrays
that predict as scikit-learn's forest does, a saved unit that fills the same, its limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier

from impute_assets.core.candidates import forest
from impute_assets.core.candidates.boosted import MAX_CLASSES
from impute_assets.core.config import DEFAULT_CANDIDATES
from impute_assets.core.imputer import Imputer


def _many_classes(rows: int = 900, classes: int = 80, seed: int = 0) -> pd.DataFrame:
    """A category of more classes than the booster takes, fixed by which band x falls in."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, classes, size=rows)
    frame = pd.DataFrame(
        {"x": x, "noise": rng.normal(size=rows), "code": [f"c{int(v)}" for v in x]}
    )
    frame.loc[rng.random(rows) < 0.15, "code"] = None
    return frame


def test_the_forest_is_a_default_candidate() -> None:
    assert "forest" in DEFAULT_CANDIDATES


def test_a_many_class_target_the_booster_skips_is_learnt_by_the_forest() -> None:
    frame = _many_classes()
    imputer = Imputer(
        columns=["code"], candidates=("linear", "boosted", "forest", "mean_mode"), seed=0
    ).fit(frame)
    model = imputer.column_models_["code"]
    assert model.classes > MAX_CLASSES and "boosted" not in model.holdout.scores
    assert model.chosen == "forest"
    assert model.holdout.scores["forest"] > 0.5 > 0.1 > model.holdout.scores["linear"]


def test_the_flat_arrays_predict_as_scikit_learns_forest_does() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(300, 6)).astype(np.float32)
    labels = (z[:, 2] > 0).astype(int) + 2 * (z[:, 3] > 0.5)  # classes 0..3
    query = rng.normal(size=(50, 6)).astype(np.float32)
    classes = 5  # one class never seen: probability 0 (the log's floor)
    scores = forest.forest_predict(forest.forest_fit(z, labels, 0), query, classes)
    expected = ExtraTreesClassifier(
        n_estimators=forest.TREES, max_features=forest.MAX_FEATURES, random_state=0
    ).fit(z, labels)
    np.testing.assert_allclose(
        np.exp(scores[:, :4]), np.maximum(expected.predict_proba(query), 1e-9), rtol=1e-5
    )
    assert np.all(scores[:, 4] <= np.log(1e-9) + 1e-6)


def test_a_unit_that_chose_the_forest_fills_the_same_after_saving(tmp_path) -> None:
    frame = _many_classes(rows=400, classes=70)
    imputer = Imputer(columns=["code"], candidates=("forest", "mean_mode"), seed=0).fit(frame)
    assert imputer.column_models_["code"].chosen == "forest"
    before = imputer.impute(frame).frame
    after = Imputer.load(imputer.save(tmp_path / "model")).impute(frame).frame
    pd.testing.assert_frame_equal(before, after)


def test_only_categories_the_booster_skips_within_the_row_limit_get_the_forest() -> None:
    z = np.ones((10, 2), dtype=np.float32)
    z[0, 0] = 0.0
    many = MAX_CLASSES + 1
    assert forest.fits(z, False, many, forest.MAX_ROWS)
    assert not forest.fits(z, False, many, forest.MAX_ROWS + 1)
    assert not forest.fits(z, False, MAX_CLASSES, 100)  # the booster's
    assert not forest.fits(z, True, 1, 100)  # numbers
    assert not forest.fits(np.ones((10, 2), dtype=np.float32), False, many, 10)  # no split
