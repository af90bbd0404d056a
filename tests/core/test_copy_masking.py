"""Copy-masking: training batches hide the cells other rows of the table are missing."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.features import FeatureSpace
from impute_assets.core.imputer import Imputer
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.nets.training import _hidden_cells, missing_cells
from tests.factories import text_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return text_frame(rows=50)


def test_missing_cells_are_the_frames_gaps_by_column(frame):
    kinds = {"x": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL, "t": ColumnKind.TEXT}
    space = FeatureSpace.fit(frame, kinds, 16, 64)
    found = missing_cells(space.encode(frame), len(space.columns))
    expected = frame[space.columns].isna().to_numpy()
    np.testing.assert_array_equal(found, expected)


def test_copied_rows_hide_exactly_a_donors_gaps():
    patterns = np.array([[True, False, True], [False, True, False]])
    config = ImputerConfig(mask_rate=0.0, copy_mask_share=0.99)
    drop = _hidden_cells(np.random.default_rng(0), np.arange(200), 3, patterns, config)
    seen = {tuple(row) for row in drop}
    assert seen <= {tuple(p) for p in patterns} | {(False, False, False)}
    assert len(seen - {(False, False, False)}) == 2


def test_imputing_with_copy_masking_keeps_observed_cells(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = Imputer(
            columns=["x", "c"],
            copy_mask_share=0.5,
            epochs=5,
            hidden_dim=8,
            fill="all",
            min_rows_for_network=5,
            candidates=("network", "mean_mode"),
        ).fit_impute(frame)
    for column in frame.columns:
        observed = frame[column].notna()
        assert result.frame[column][observed].tolist() == frame[column][observed].tolist()
    assert result.frame[["x", "c"]].notna().all().all()
