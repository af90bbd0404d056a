"""The benchmark's peer imputers fill every gap, keep observed cells, and beat chance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.peers import PEERS
from impute_assets.evaluation import evaluate, mask_cells


def table(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": 2 * x + rng.normal(scale=0.2, size=n),
            "sign": np.where(x > 0, "pos", "neg"),
            "many": [f"c{i % 30}" for i in range(n)],  # above ONE_HOT_MAX: ordinal codes
            "flag": rng.random(n) > 0.5,
        }
    )


@pytest.mark.parametrize("name", sorted(PEERS))
def test_peer_fills_gaps_and_keeps_observed_cells(name):
    df = table()
    masked, mask = mask_cells(df, "mcar", 0.2, seed=0)
    filled = PEERS[name](masked)
    assert filled.notna().all().all()
    assert list(filled.columns) == list(df.columns) and filled.index.equals(df.index)
    for column in df.columns:
        kept = ~mask[column]
        assert (filled.loc[kept, column].astype(str) == masked.loc[kept, column].astype(str)).all()
        assert set(filled[column].astype(str)) <= set(df[column].astype(str)) or column in "xy"


@pytest.mark.parametrize("name", ["knn", "iterative", "missforest"])
def test_model_peers_beat_mean_mode(name):
    df = table()
    baseline = evaluate(df, PEERS["mean_mode"], "mcar", 0.2, seed=0).overall
    peer = evaluate(df, PEERS[name], "mcar", 0.2, seed=0).overall
    assert peer["nrmse"] < 0.9 * baseline["nrmse"]
    assert peer["accuracy"] > baseline["accuracy"]
