"""Plots render real PNGs, and different data gives different pictures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _frame(seed: int, missing: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=300),
            "colour": rng.choice(["red", "green", "blue"], size=300),
            "when": pd.date_range("2024-01-01", periods=300, freq="h"),
        }
    )
    return frame.mask(rng.random(frame.shape) < missing)


def test_missingness_heatmap_is_png_and_depends_on_data():
    a = plots.missingness_heatmap(_frame(0, 0.1))
    b = plots.missingness_heatmap(_frame(0, 0.4))
    assert a.startswith(PNG_SIGNATURE) and b.startswith(PNG_SIGNATURE)
    assert a != b


def test_null_share_heatmap_per_partition():
    shares = pd.DataFrame(
        {"x": [0.0, 0.5], "y": [0.1, 0.0]}, index=pd.Index(["2013-01", "2013-02"], name="month")
    )
    image = plots.null_share_heatmap(shares)
    assert image.startswith(PNG_SIGNATURE)
    assert image != plots.null_share_heatmap(shares.iloc[::-1])


def test_before_after_missingness():
    first = plots.before_after_missingness({"x": 30, "y": 5}, {"x": 0, "y": 5}, rows=300)
    second = plots.before_after_missingness({"x": 30, "y": 5}, {"x": 10, "y": 0}, rows=300)
    assert first.startswith(PNG_SIGNATURE)
    assert first != second


@pytest.mark.parametrize("column", ["x", "colour", "when"])
def test_observed_vs_imputed_each_kind(column):
    frame = _frame(1, 0.2)
    imputed = frame[column].isna()
    filled = frame[column].copy()
    filled[imputed] = frame[column].dropna().iloc[0]
    image = plots.observed_vs_imputed(filled, imputed)
    assert image.startswith(PNG_SIGNATURE)
    other = frame[column].copy()
    other[imputed] = frame[column].dropna().iloc[-1]
    assert plots.observed_vs_imputed(other, imputed) != image


def test_empty_frame_is_an_error():
    with pytest.raises(ValueError, match="at least one column"):
        plots.missingness_heatmap(pd.DataFrame())
