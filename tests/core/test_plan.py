"""One plan per table: Imputer.fit fits what plan_table says, and the fingerprints its models
carry are the plan's (the pipeline decides reuse on the same plan before training)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from impute_assets.core.config import ImputerConfig
from impute_assets.core.fitting.column_model import fingerprint
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import ColumnKind, infer_kinds
from impute_assets.core.plan import plan_table
from impute_assets.core.sequence.context import SequenceSpec

FAST = {"epochs": 2, "hidden_dim": 8, "candidates": ("linear", "mean_mode"), "device": "cpu"}


def _frame(rows: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=rows)
    frame = pd.DataFrame(
        {
            "t": np.arange(rows),
            "x": x,
            "y": 2 * x + rng.normal(scale=0.1, size=rows),
            "c": rng.choice(["a", "b"], size=rows),
            "empty": np.nan,
        }
    )
    frame.loc[::7, "y"] = np.nan
    frame.loc[::5, "c"] = None
    return frame


def test_the_models_carry_their_plans_fingerprints() -> None:
    frame = _frame()
    config = ImputerConfig(**FAST)
    for order_by in (None, "t"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = Imputer(config=config, order_by=order_by).fit(frame)
        kinds = fitted.kinds_
        sequence = SequenceSpec(order_by) if order_by else None
        plan = plan_table(frame, kinds, list(fitted.column_models_), config, sequence)
        assert plan.fingerprints == {c: m.fingerprint for c, m in fitted.column_models_.items()}
        assert "empty" not in plan.inputs  # nothing observed: no model reads it
        assert set(plan.columns) == {"y", "c"}


def test_inputs_are_restricted_per_target_in_the_given_order() -> None:
    frame = _frame()
    kinds = infer_kinds(frame)
    configs = {"y": ImputerConfig(epochs=3), "c": ImputerConfig(epochs=4)}
    plan = plan_table(frame, kinds, ["y", "c"], configs, inputs={"y": ["c", "x", "empty"]})
    y, c = plan.columns["y"], plan.columns["c"]
    assert y.inputs == ["c", "x"] and list(y.kinds) == ["y", "c", "x"]
    assert c.inputs == ["x", "y"] and c.kinds["c"] == ColumnKind.CATEGORICAL  # t: an id
    assert (y.config.epochs, c.config.epochs) == (3, 4)
    assert y.fingerprint == fingerprint("y", {"c": kinds["c"], "x": kinds["x"]}, configs["y"])
