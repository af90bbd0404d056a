"""Column kinds: how the engine sees each column, and how it guesses them.

A kind decides the encoder, the model head and the validation rules of a column. The guess is
made from the pandas dtype and, for strings, from cardinality and length; users override it.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from enum import StrEnum

import numpy as np
import pandas as pd


class ColumnKind(StrEnum):
    """The semantic kind of a column."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    TEXT = "text"
    DATETIME = "datetime"
    ID = "id"
    UNSUPPORTED = "unsupported"


#: Kinds the engine can learn from and fill.
IMPUTABLE_KINDS = frozenset({ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.DATETIME})


def imputable_kinds(copy_free_text: bool) -> frozenset[ColumnKind]:
    """The kinds a model fills: :data:`IMPUTABLE_KINDS`, and free text where it is copied
    from similar rows (``copy_free_text``)."""
    return (IMPUTABLE_KINDS | {ColumnKind.TEXT}) if copy_free_text else IMPUTABLE_KINDS


#: A string column is free text when its values are this long on average ...
TEXT_MIN_MEAN_LENGTH = 30
#: ... and at least this share of its observed values are distinct.
TEXT_MIN_UNIQUE_SHARE = 0.5
#: A column is id-like when every observed value is distinct and it has at least this many rows.
ID_MIN_ROWS = 20


def infer_kind(series: pd.Series) -> ColumnKind:
    """Guess the kind of one column from its dtype and observed values."""
    dtype = series.dtype
    observed = series.dropna()
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return ColumnKind.CATEGORICAL
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnKind.DATETIME
    if pd.api.types.is_complex_dtype(dtype):
        return ColumnKind.UNSUPPORTED
    if pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_integer_dtype(dtype) and _is_id_like(observed):
            return ColumnKind.ID
        return ColumnKind.NUMERIC
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return _infer_object_kind(observed)
    return ColumnKind.UNSUPPORTED


def infer_kinds(
    frame: pd.DataFrame,
    overrides: Mapping[str, ColumnKind | str] | None = None,
    exclude: Iterable[str] = (),
) -> dict[str, ColumnKind]:
    """Guess every column's kind; ``overrides`` win, ``exclude``d columns are left out."""
    overrides = dict(overrides or {})
    unknown = (set(overrides) | set(exclude)) - set(frame.columns)
    if unknown:
        raise KeyError(f"columns not in the frame: {sorted(unknown)}; have {list(frame.columns)}")
    excluded = set(exclude)
    kinds: dict[str, ColumnKind] = {}
    for name in frame.columns:
        if name in excluded:
            continue
        if name in overrides:
            kinds[name] = _parse_kind(overrides[name], name)
        else:
            kinds[name] = infer_kind(frame[name])
    return kinds


def _parse_kind(value: ColumnKind | str, column: str) -> ColumnKind:
    try:
        return ColumnKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in ColumnKind)
        raise ValueError(
            f"column {column!r}: unknown kind {value!r}; use one of {allowed}"
        ) from None


def _is_id_like(observed: pd.Series) -> bool:
    return len(observed) >= ID_MIN_ROWS and observed.is_unique


def _infer_object_kind(observed: pd.Series) -> ColumnKind:
    if observed.empty:
        return ColumnKind.CATEGORICAL
    values = observed.to_numpy(dtype=object)
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return ColumnKind.CATEGORICAL
    if not all(isinstance(v, str) for v in values):
        if all(
            isinstance(v, (int, float, decimal.Decimal, np.integer, np.floating)) for v in values
        ):
            return ColumnKind.NUMERIC
        return ColumnKind.CATEGORICAL
    as_text = observed.astype(str)
    unique_share = as_text.nunique() / len(as_text)
    if as_text.str.len().mean() >= TEXT_MIN_MEAN_LENGTH and unique_share >= TEXT_MIN_UNIQUE_SHARE:
        return ColumnKind.TEXT
    if _is_id_like(as_text) and unique_share == 1.0:
        return ColumnKind.ID
    return ColumnKind.CATEGORICAL
