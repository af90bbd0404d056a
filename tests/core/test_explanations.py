"""Permutation importance: what it costs per model, and that it still finds the input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets.core import explanations
from impute_assets.core.explanations import SHUFFLED_ROWS, importance_rows, permutation_importance
from impute_assets.core.imputer import Imputer


@pytest.mark.parametrize("inputs", [60, 120])
def test_importance_predicts_a_bounded_number_of_shuffled_rows_however_many_inputs(
    monkeypatch: pytest.MonkeyPatch, inputs: int
) -> None:
    rng = np.random.default_rng(0)
    rows = 600
    frame = pd.DataFrame(rng.normal(size=(rows, inputs)), columns=[f"x{i}" for i in range(inputs)])
    frame["y"] = 3 * frame["x7"] + 0.1 * rng.normal(size=rows)
    frame.loc[rng.random(rows) < 0.1, "y"] = np.nan
    imputer = Imputer(columns=["y"], candidates=("linear", "mean_mode"), seed=0, fill="all")
    model = imputer.fit(frame).column_models_["y"]
    predicted = []
    predict = explanations.encoded_predictions

    def counted(models, net, features, *args, **kwargs):
        predicted.append(features.rows)
        return predict(models, net, features, *args, **kwargs)

    monkeypatch.setattr(explanations, "encoded_predictions", counted)
    observed = np.flatnonzero(frame["y"].notna().to_numpy())
    importance = permutation_importance(model, frame, frame["y"], observed)
    assert set(importance) == set(model.inputs) and len(model.inputs) == inputs
    measured = importance_rows(inputs)
    assert measured < len(observed)  # a sample of the rows, not all of them
    assert predicted[0] == measured  # the unshuffled rows, once
    assert sum(predicted[1:]) == inputs * measured <= SHUFFLED_ROWS  # one shuffled copy each
    assert max(importance, key=importance.get) == "x7"  # the sample still finds y's input
