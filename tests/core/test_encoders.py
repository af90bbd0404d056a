"""Encoders: category indices agree with a cell-by-cell lookup, whatever the column's dtype."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from impute_assets.core.encoding.encoders import (
    MISSING_INDEX,
    RARE_INDEX,
    RESERVED,
    CategoricalEncoder,
    NumericEncoder,
    _category_key,
    encoder_from_state,
    encoder_state,
)

RNG = np.random.default_rng(0)


def one_by_one(encoder: CategoricalEncoder, series: pd.Series) -> list[int]:
    """The documented rule, one cell at a time: 0 missing, 1 rare, 2+ vocabulary."""
    vocabulary = {_category_key(v): i for i, v in enumerate(encoder.values)}
    out = []
    for value in series.to_numpy(dtype=object):
        if value is None or (not isinstance(value, list) and pd.isna(value)):
            out.append(MISSING_INDEX)
        else:
            index = vocabulary.get(_category_key(value))
            out.append(RARE_INDEX if index is None else index + RESERVED)
    return out


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(RNG.choice(["a", "b", "c", "d", None], 500)),
        pd.Series(RNG.integers(0, 6, 300)),
        pd.Series([1, None, 3, 4] * 10, dtype="Int64"),
        pd.Series([1, 1.0, True, "1", None, 2, 2.0, False, decimal.Decimal(1)] * 5, dtype=object),
        pd.Series(pd.Categorical(RNG.choice(["x", "y", "z"], 200))),
        pd.Series([[1], [2], [1], None] * 5, dtype=object),
    ],
    ids=["strings", "ints", "nullable-ints", "mixed-types", "categorical", "unhashable"],
)
def test_indices_match_a_cell_by_cell_lookup(series: pd.Series) -> None:
    encoder = CategoricalEncoder.fit(series, max_categories=3)
    assert encoder.indices(series).tolist() == one_by_one(encoder, series)
    reverse = series.iloc[::-1]
    assert encoder.indices(reverse).tolist() == one_by_one(encoder, reverse)


def test_integer_categories_are_not_all_rare() -> None:
    series = pd.Series([3, 1, 2, 3, 3, 1])
    encoder = CategoricalEncoder.fit(series)
    assert encoder.values == [3, 1, 2]
    assert encoder.indices(series).tolist() == [2, 3, 4, 2, 2, 3]


def test_frequencies_count_types_apart() -> None:
    encoder = CategoricalEncoder.fit(pd.Series([1, 1.0, 1.0, True, None], dtype=object))
    assert [type(v) for v in encoder.values] == [float, bool, int]
    assert encoder.frequencies == [0.5, 0.25, 0.25]


@pytest.mark.parametrize("dtype", ["float64", "Float64", "Int64", "float64[pyarrow]", "object"])
def test_numeric_features_agree_across_dtypes(dtype: str) -> None:
    values = [1.5, None, 4.0, 2.0] if dtype != "Int64" else [1, None, 4, 2]
    series = pd.Series(values, dtype=dtype)
    encoder = NumericEncoder.fit(series)
    expected = (
        np.array([values[0], np.nan, values[2], values[3]], dtype=float) - encoder.center
    ) / encoder.scale
    np.testing.assert_allclose(encoder.features(series)[:, 0], expected, equal_nan=True)


def test_arrow_decimal_features_are_the_floats_of_their_values() -> None:
    """NUMERIC columns read from a warehouse (Arrow decimals) encode as ``float(Decimal)``."""
    texts = ["0.10", None, "123456789012.34", "-7.05", "99999999999999.99"]
    values = [None if t is None else decimal.Decimal(t) for t in texts]
    series = pd.Series(pd.array(values, dtype=pd.ArrowDtype(pa.decimal128(16, 2))))
    as_objects = pd.Series(values, dtype=object)
    encoder = NumericEncoder.fit(as_objects)
    np.testing.assert_array_equal(encoder.features(series), encoder.features(as_objects))
    # the decimal places are the type's scale, as the values' own say; fills keep them
    assert NumericEncoder.fit(series).decimals == encoder.decimals == 2
    filled = NumericEncoder.fit(series).cast(np.array([1.005, 2.0]), series.iloc[:2])
    assert filled.tolist() == [decimal.Decimal("1.00"), decimal.Decimal("2.00")]
    assert NumericEncoder.fit(series.iloc[[1]]).decimals is None  # no value: not known


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([3, 1, 1, 2]),
        pd.Series([3.5, 1.0, 1.0, np.nan]),
        pd.Series(pd.array([3, 1, 1, None], dtype="Int64")),
        pd.Series(pd.array([True, False, False, None], dtype="boolean")),
        pd.Series(["c", "a", "a", None]),
        pd.Series(pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-01", None])),
        pd.Series(pd.array([[3], [1], [1], None], dtype=pd.ArrowDtype(pa.list_(pa.int64())))),
    ],
    ids=["int64", "float64", "Int64", "boolean", "str", "datetime", "list"],
)
def test_observed_values_get_their_vocabulary_row(series: pd.Series) -> None:
    encoder = CategoricalEncoder.fit(series)
    expected = [
        MISSING_INDEX
        if pd.api.types.is_scalar(v) and pd.isna(v)
        else encoder.values.index(v) + RESERVED
        if not isinstance(v, np.ndarray)
        else next(i for i, w in enumerate(encoder.values) if list(w) == list(v)) + RESERVED
        for v in series.to_numpy(dtype=object)
    ]
    assert encoder.indices(series).tolist() == expected
    assert RARE_INDEX not in expected


def test_mixed_object_values_stay_apart() -> None:
    """1, 1.0 and True are distinct categories; a value outside the vocabulary is rare."""
    encoder = CategoricalEncoder.fit(pd.Series([1, True, "x"], dtype=object))
    query = pd.Series([1, 1.0, True, False, "x", None], dtype=object)
    codes = encoder.indices(query) - RESERVED
    assert [type(encoder.values[c]) for c in codes[[0, 2, 4]]] == [int, bool, str]
    assert codes[1] == codes[3] == RARE_INDEX - RESERVED and codes[5] == MISSING_INDEX - RESERVED


@pytest.mark.parametrize(
    "values",
    [
        [dt.date(2024, 1, 2), dt.date(2024, 1, 3)],
        [pd.Timestamp("2024-03-31 01:30", tz="Europe/Oslo"), pd.Timestamp("2024-01-01 00:00:01")],
        [dt.datetime(2024, 1, 2, 3, 4, 5, 6), dt.time(3, 4), dt.timedelta(days=-1, seconds=5)],
        [pd.Timedelta("1 days 3ns"), uuid.UUID(int=7), b"\x00ab", ("a", 1, dt.date(2024, 1, 1))],
        [decimal.Decimal("1.20"), 2, 2.0, True, "2"],
    ],
    ids=["dates", "timestamps", "datetimes-times-timedeltas", "uuid-bytes-tuples", "scalars"],
)
def test_a_saved_vocabulary_comes_back_as_the_values_it_was_fitted_on(values: list) -> None:
    # a category of dates or uuids once came back as their repr text: a loaded model matched
    # none of its inputs and filled the text "UUID('...')" into the column
    series = pd.Series(values * 3, dtype=object)
    encoder = CategoricalEncoder.fit(series)
    loaded = encoder_from_state(json.loads(json.dumps(encoder_state(encoder))))
    assert [(type(v), v) for v in loaded.values] == [(type(v), v) for v in encoder.values]
    assert [getattr(v, "tz", None) for v in loaded.values] == [
        getattr(v, "tz", None) for v in encoder.values
    ]
    np.testing.assert_array_equal(loaded.indices(series), encoder.indices(series))
