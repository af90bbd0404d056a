"""TableProfile / ColumnProfile / psi on small real frames."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from impute_assets.core.kinds import ColumnKind
from impute_assets.core.profile import OTHER, ColumnProfile, TableProfile, numeric_values, psi


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 500
    df = pd.DataFrame(
        {
            "x": rng.normal(10.0, 2.0, n),
            "k": pd.Series(rng.integers(0, 5, n)).astype("Int64"),
            "c": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "id": np.arange(n),
        }
    )
    df.loc[::10, "x"] = np.nan
    df.loc[::7, "c"] = None
    return df


KINDS = {
    "x": ColumnKind.NUMERIC,
    "k": ColumnKind.NUMERIC,
    "c": ColumnKind.CATEGORICAL,
    "t": ColumnKind.DATETIME,
    "id": ColumnKind.ID,
}


def test_numeric_column_describes_observed_values(frame):
    profile = TableProfile.from_frame(frame, KINDS, bins=10)
    x = profile["x"]
    observed = frame["x"].dropna()
    assert (x.count, x.missing) == (len(observed), 50)
    assert x.min == observed.min() and x.max == observed.max()
    assert x.mean == pytest.approx(observed.mean())
    assert x.std == pytest.approx(observed.std())
    assert x.quantiles["q50"] == pytest.approx(observed.median())
    assert len(x.histogram_edges) == 11 and sum(x.histogram_counts) == x.count
    assert profile.rows == len(frame)


def test_categorical_keeps_top_k_and_other_bucket(frame):
    c = TableProfile.from_frame(frame, KINDS, top_k=2)["c"]
    assert c.vocabulary == ["a", "b"]
    assert c.other == c.count - sum(n for _, n in c.top_values) > 0
    assert c.frequencies[OTHER] == c.other


def test_datetime_on_seconds_axis_and_id_keeps_counts(frame):
    profile = TableProfile.from_frame(frame, KINDS)
    t = profile["t"]
    assert pd.Timestamp(t.min, unit="s") == frame["t"].min()
    assert profile["id"].histogram_edges == () and profile["id"].count == len(frame)


def test_tz_aware_datetimes_are_utc():
    s = pd.Series(pd.to_datetime(["2024-01-01 01:00"]).tz_localize("Europe/Paris"))
    assert numeric_values(s, ColumnKind.DATETIME)[0] == pd.Timestamp("2024-01-01").timestamp()


def test_json_round_trip(frame, tmp_path):
    profile = TableProfile.from_frame(frame, KINDS)
    path = tmp_path / "profile.json"
    profile.to_json(path)
    json.loads(path.read_text())  # strict JSON
    assert TableProfile.from_json(path) == profile
    assert TableProfile.from_dict(profile.to_dict()) == profile


def test_unknown_column_and_kind_named_in_errors(frame):
    with pytest.raises(KeyError, match="nope"):
        TableProfile.from_frame(frame, {"nope": ColumnKind.NUMERIC})
    with pytest.raises(KeyError, match="'zz'"):
        TableProfile.from_frame(frame, KINDS)["zz"]
    bad = ColumnProfile.from_series(frame["x"], "numeric").to_dict() | {"kind": "blob"}
    with pytest.raises(ValueError, match="'x'"):
        ColumnProfile.from_dict(bad)


def test_psi_small_for_same_population_large_for_shift(frame):
    rng = np.random.default_rng(1)
    ref = TableProfile.from_frame(frame, KINDS, bins=10)
    same = pd.Series(rng.normal(10.0, 2.0, 2000))
    shifted = same + 4.0
    assert psi(ref["x"], same) < 0.1
    assert psi(ref["x"], shifted) > 0.25
    assert psi(ref["c"], frame["c"]) == pytest.approx(0.0, abs=1e-9)
    assert psi(ref["c"], pd.Series(["d"] * 100 + ["zz"] * 100)) > 0.25


def test_psi_needs_observed_values(frame):
    ref = TableProfile.from_frame(frame, KINDS)
    with pytest.raises(ValueError, match="'x'"):
        psi(ref["x"], pd.Series([np.nan, np.nan]))


def test_arrow_decimals_profile_as_the_floats_of_their_values():
    """Arrow decimal columns (how the warehouse reads NUMERIC) take the float64 of each value,
    as ``float(Decimal)`` gives it, on the fast Arrow cast."""
    import decimal

    import pyarrow as pa

    texts = ["0.10", "123456789012.34", "-0.01", "99999999999999.99", None, "7.05"]
    values = [None if t is None else decimal.Decimal(t) for t in texts]
    series = pd.Series(pd.array(values, dtype=pd.ArrowDtype(pa.decimal128(16, 2))))
    expected = np.array([float(v) for v in values if v is not None])
    assert np.array_equal(numeric_values(series, ColumnKind.NUMERIC), expected)
    profile = ColumnProfile.from_series(series, ColumnKind.NUMERIC)
    assert (profile.min, profile.max, profile.count) == (expected.min(), expected.max(), 5)
