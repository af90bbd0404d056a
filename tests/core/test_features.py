"""Encoded features: stacking and shuffling encoded rows equal encoding stacked or shuffled rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.encoding.features import Features, FeatureSpace
from impute_assets.core.kinds import ColumnKind
from tests.factories import text_frame

KINDS = {"x": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL, "t": ColumnKind.TEXT}


@pytest.fixture
def frame() -> pd.DataFrame:
    return text_frame(rows=30)


def _assert_same(a: Features, b: Features) -> None:
    for name in ("numeric", "numeric_missing", "categorical"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for (ids_a, off_a), (ids_b, off_b) in zip(a.text, b.text, strict=True):
        np.testing.assert_array_equal(ids_a, ids_b)
        np.testing.assert_array_equal(off_a, off_b)


def test_concat_is_the_encoding_of_the_stacked_rows(frame):
    space = FeatureSpace.fit(frame, KINDS, 16, 64)
    parts = [
        space.encode(frame.iloc[:10]),
        space.encode(frame.iloc[10:11]),
        space.encode(frame.iloc[11:]),
    ]
    _assert_same(Features.concat(parts), space.encode(frame))


def test_permuted_is_the_encoding_of_the_shuffled_column(frame):
    space = FeatureSpace.fit(frame, KINDS, 16, 64)
    order = np.random.default_rng(1).permutation(len(frame))
    for column in KINDS:
        shuffled = frame.copy()
        shuffled[column] = frame[column].to_numpy()[order]
        _assert_same(
            space.encode(frame).permuted(space.position(column), order), space.encode(shuffled)
        )
