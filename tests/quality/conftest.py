"""A small table with gaps, its observed profile, a good imputation and broken ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.kinds import ColumnKind
from impute_assets.core.profile import TableProfile
from impute_assets.quality import Suite, build_suite

ROWS = 400
KINDS = {"x": ColumnKind.NUMERIC, "c": ColumnKind.CATEGORICAL}


@pytest.fixture(scope="session")
def observed() -> pd.DataFrame:
    """The input: 20% of ``x`` and ``c`` missing."""
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "id": np.arange(ROWS),
            "x": rng.normal(50.0, 10.0, ROWS),
            "c": rng.choice(["red", "green", "blue"], ROWS, p=[0.5, 0.3, 0.2]).astype(object),
        }
    )
    df.loc[rng.random(ROWS) < 0.2, "x"] = np.nan
    df.loc[rng.random(ROWS) < 0.2, "c"] = None
    return df


@pytest.fixture(scope="session")
def profile(observed) -> TableProfile:
    return TableProfile.from_frame(observed, KINDS)


@pytest.fixture(scope="session")
def suite(profile) -> Suite:
    return build_suite(profile, ["x", "c"], row_count=ROWS, name="demo")


@pytest.fixture(scope="session")
def good(observed) -> pd.DataFrame:
    """A plausible imputation: gaps filled with draws from the observed values."""
    rng = np.random.default_rng(8)
    filled = observed.copy()
    for column in ("x", "c"):
        gaps = filled[column].isna()
        pool = observed[column].dropna().to_numpy()
        filled.loc[gaps, column] = rng.choice(pool, int(gaps.sum()))
    filled["x"] = filled["x"].astype(float)
    return filled
