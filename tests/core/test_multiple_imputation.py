"""Multiple imputation pooled with Rubin's rules (``examples/multiple_imputation.py``): the
draws' spread widens the interval a single filled table would give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from examples.multiple_imputation import ols, pooled_coefficient
from impute_assets import Imputer


def test_pooled_interval_is_wider_than_one_filled_tables_and_holds_the_truth():
    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    frame = pd.DataFrame(
        {"x": x, "z": x + rng.normal(scale=0.5, size=600), "y": 2.0 * x + rng.normal(size=600)}
    )
    frame.loc[rng.random(600) < 0.3, "x"] = None
    result = Imputer(candidates=("linear", "mean_mode"), device="cpu").fit_impute(frame, draws=10)
    estimate, (low, high) = pooled_coefficient(result.draws, "y", ["x"])
    assert low < estimate < high and low < 2.0 < high
    single, variance = ols(result.frame, "y", ["x"])
    assert high - low > 2 * 1.96 * np.sqrt(variance[1])  # one filled table is too sure
    # identical draws have no between-draw variance: the pooled interval is the OLS one
    same, (same_low, same_high) = pooled_coefficient([result.frame] * 3, "y", ["x"])
    assert same == pytest.approx(single[1]) and same_high - same_low < high - low


def test_pool_is_public_and_its_old_documented_path_still_imports():
    import importlib
    import sys

    import impute_assets
    from impute_assets.core.uncertainty.pooling import pool

    assert impute_assets.pool is pool and "pool" in impute_assets.__all__
    sys.modules.pop("impute_assets.core.pooling", None)
    with pytest.warns(DeprecationWarning, match="from impute_assets import pool"):
        old = importlib.import_module("impute_assets.core.pooling")
    assert old.pool is pool
