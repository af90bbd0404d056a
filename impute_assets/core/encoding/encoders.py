"""Encoders fitted on a column's observed values; they turn cells into model inputs and back.

Each encoder is plain data (``to_state``/``from_state`` round-trip through JSON) so a saved
column model can re-encode new rows exactly as at training time.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import uuid
import zlib
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from impute_assets.core.datetimes import as_datetimes, epoch_seconds, from_epoch_seconds
from impute_assets.core.kinds import ColumnKind

#: Category indices 0 and 1 are reserved: missing, and rare/unseen.
MISSING_INDEX = 0
RARE_INDEX = 1
RESERVED = 2


def observed_mask(series: pd.Series) -> np.ndarray:
    """True where a cell holds a usable value (not null, not an infinite float)."""
    mask = ~series.isna().to_numpy()
    if pd.api.types.is_float_dtype(series.dtype):
        mask &= np.isfinite(series.to_numpy(dtype=float, na_value=np.nan))
    return mask


def is_arrow_decimal(dtype: object) -> bool:
    """Whether ``dtype`` is an Arrow decimal (how the warehouse reads NUMERIC columns): its
    floats come from Arrow's cast (the same floats as ``float(Decimal)``, without one Python
    ``Decimal`` per value: 0.6 s of CPU per million)."""
    return isinstance(dtype, pd.ArrowDtype) and dtype.type is decimal.Decimal


def decimals_as_floats(series: pd.Series) -> pd.Series:
    """``series`` with an Arrow decimal dtype cast to Arrow doubles by Arrow (see
    :func:`is_arrow_decimal`); any other series as it is."""
    return series.astype("double[pyarrow]") if is_arrow_decimal(series.dtype) else series


def _as_float(series: pd.Series) -> np.ndarray:
    if getattr(series.dtype, "kind", "O") in "biuf":  # numpy or nullable numbers: no objects
        out = series.to_numpy(dtype=float, na_value=np.nan, copy=True)
    elif is_arrow_decimal(series.dtype):
        out = decimals_as_floats(series).to_numpy(dtype=float, na_value=np.nan, copy=True)
    else:
        values = pd.to_numeric(series.astype(object).where(series.notna(), np.nan), errors="coerce")
        out = np.array(values, dtype=float)
    out[~np.isfinite(out)] = np.nan
    return out


#: Beyond this magnitude values are summarized scaled down (profiles, :class:`NumericEncoder`).
_LARGE = 2.0**960


def power_of_two_scale(values: np.ndarray) -> float:
    """1.0, or the power of two that brings ``values`` to magnitudes below 2**64: sums and
    squares of ``values / scale`` do not overflow, and multiplying back is exact."""
    largest = float(np.max(np.abs(values)))
    return 1.0 if largest < _LARGE else 2.0 ** (math.frexp(largest)[1] - 64)


@dataclass
class NumericEncoder:
    """Robust scaling (median / IQR) of a numeric column; decoding restores its dtype."""

    kind: ClassVar[ColumnKind] = ColumnKind.NUMERIC
    center: float = 0.0
    scale: float = 1.0
    low: float = 0.0
    high: float = 0.0
    std: float = 1.0
    integral: bool = False
    decimals: int | None = None

    @classmethod
    def fit(cls, series: pd.Series) -> NumericEncoder:
        values = _as_float(series)
        values = values[~np.isnan(values)]
        if values.size == 0:
            return cls()
        q1, median, q3 = np.percentile(values, [25, 50, 75])
        big = power_of_two_scale(values)  # 1.0 unless values near +-1e308 would overflow
        std = float((values / big).std()) * big or 1.0
        spread = (q3 / big - q1 / big) / 1.349
        scale = float(min(spread * big, np.finfo(np.float64).max)) or std
        return cls(
            center=float(median),
            scale=float(scale),
            low=float(values.min()),
            high=float(values.max()),
            std=std,
            integral=bool(np.all(np.mod(values, 1) == 0)),
            decimals=_decimal_places(series),
        )

    @property
    def width(self) -> int:
        return 1

    @property
    def spread(self) -> float:
        """The observed standard deviation in scaled units."""
        return self.std / self.scale

    def features(self, series: pd.Series) -> np.ndarray:
        """Scaled values, NaN where missing, shape (n, 1)."""
        return ((_as_float(series) - self.center) / self.scale)[:, None]

    def target(self, series: pd.Series) -> np.ndarray:
        return self.features(series)[:, 0]

    def decode(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled predictions back to values inside the observed range."""
        values = np.clip(
            np.asarray(scaled, dtype=np.float64) * self.scale + self.center, self.low, self.high
        )
        return np.round(values) if self.integral else values

    def cast(self, values: np.ndarray, like: pd.Series) -> pd.Series:
        """Values as a Series of ``like``'s dtype (decimals stay Decimal, ints stay ints)."""
        if self.decimals is not None:
            quant = decimal.Decimal(1).scaleb(-self.decimals)
            objs = [decimal.Decimal(repr(float(v))).quantize(quant) for v in values]
            keep = isinstance(like.dtype, pd.ArrowDtype)  # Arrow decimals take Decimal objects
            return pd.Series(objs, index=like.index, dtype=like.dtype if keep else object)
        return pd.Series(values, index=like.index).astype(_fill_dtype(like.dtype))

    def to_state(self) -> dict[str, Any]:
        return {
            "center": self.center,
            "scale": self.scale,
            "low": self.low,
            "high": self.high,
            "std": self.std,
            "integral": self.integral,
            "decimals": self.decimals,
        }


def _fill_dtype(dtype: Any) -> Any:
    """The dtype filled values take in a column of ``dtype`` (a NaN-holding int is float)."""
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(
        dtype, pd.api.extensions.ExtensionDtype
    ):
        return "float64"
    if pd.api.types.is_object_dtype(dtype):
        return "float64"
    return dtype


def _decimal_places(series: pd.Series) -> int | None:
    """The most decimal places the column's ``Decimal`` values carry (None: not decimals).
    An Arrow decimal column's values all carry its type's scale: no value is looked at."""
    if is_arrow_decimal(series.dtype):
        return int(series.dtype.pyarrow_dtype.scale) if series.notna().any() else None
    sample = series.dropna()
    if sample.empty or not all(isinstance(v, decimal.Decimal) for v in sample.iloc[:100]):
        return None
    return max(max(-int(v.as_tuple().exponent), 0) for v in sample if v.is_finite())


@dataclass
class DatetimeEncoder:
    """Datetimes as a scaled timestamp plus cyclical hour, weekday and day-of-year parts."""

    kind: ClassVar[ColumnKind] = ColumnKind.DATETIME
    seconds: NumericEncoder = field(default_factory=NumericEncoder)
    tz: str | None = None
    unit: str = "ns"

    @classmethod
    def fit(cls, series: pd.Series) -> DatetimeEncoder:
        dtype = series.dtype
        tz = str(dtype.tz) if getattr(dtype, "tz", None) is not None else None
        unit = getattr(dtype, "unit", "ns")
        return cls(seconds=NumericEncoder.fit(epoch_seconds(series)), tz=tz, unit=unit)

    @property
    def width(self) -> int:
        return 7

    @property
    def spread(self) -> float:
        return self.seconds.spread

    def features(self, series: pd.Series) -> np.ndarray:
        stamps = as_datetimes(series)
        if self.tz is not None and getattr(stamps.dtype, "tz", None) is None:
            if stamps.notna().any():
                raise TypeError(
                    f"column {series.name!r} held datetimes in {self.tz} when fitted "
                    "but holds tz-naive ones now; localize them (dt.tz_localize)"
                )
            stamps = stamps.dt.tz_localize(self.tz)  # all missing: nothing to convert
        elif self.tz is not None:
            stamps = stamps.dt.tz_convert(self.tz)
        seconds = self.seconds.features(epoch_seconds(series))[:, 0]
        parts = [seconds]
        for value, period in (
            (stamps.dt.hour + stamps.dt.minute / 60, 24.0),
            (stamps.dt.day_of_week, 7.0),
            (stamps.dt.day_of_year, 365.25),
        ):
            angle = 2 * math.pi * value.to_numpy(dtype=float, na_value=np.nan) / period
            parts += [np.sin(angle), np.cos(angle)]
        return np.stack(parts, axis=1)

    def target(self, series: pd.Series) -> np.ndarray:
        return self.seconds.features(epoch_seconds(series))[:, 0]

    def decode(self, scaled: np.ndarray) -> np.ndarray:
        return self.seconds.decode(scaled)

    def cast(self, values: np.ndarray, like: pd.Series) -> pd.Series:
        stamps = from_epoch_seconds(values, utc=self.tz is not None)
        if self.tz is not None:
            stamps = stamps.tz_convert(self.tz)
        return pd.Series(stamps, index=like.index).astype(like.dtype)

    def to_state(self) -> dict[str, Any]:
        return {"seconds": self.seconds.to_state(), "tz": self.tz, "unit": self.unit}


def _category_key(value: Any) -> Hashable:
    """A hashable key that keeps 1, 1.0 and True apart and accepts unhashable values."""
    if isinstance(value, Hashable):
        return (type(value).__name__, value)
    return (type(value).__name__, repr(value))


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position of each distinct value's first cell, each cell's distinct index) for an
    object array, where values of different types are distinct as in :func:`_category_key`
    (1, 1.0 and True apart). Hashing runs in pandas, not once per cell in Python."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    try:
        value_codes, _ = pd.factorize(values)
    except TypeError:  # unhashable cells (lists, dicts): one code per cell
        return np.arange(len(values)), np.arange(len(values))
    type_codes, _ = pd.factorize(np.frompyfunc(type, 1, 1)(values))
    pairs = type_codes.astype(np.int64) * (int(value_codes.max()) + 1) + value_codes
    _, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


@dataclass
class CategoricalEncoder:
    """A vocabulary of the most frequent observed values; the rest share the rare bucket."""

    kind: ClassVar[ColumnKind] = ColumnKind.CATEGORICAL
    values: list[Any] = field(default_factory=list)
    frequencies: list[float] = field(default_factory=list)

    @classmethod
    def fit(cls, series: pd.Series, max_categories: int = 256) -> CategoricalEncoder:
        observed = series[observed_mask(series)]
        values = observed.to_numpy(dtype=object)
        first, inverse = _distinct(values)
        counts: dict[Hashable, int] = {}
        originals: dict[Hashable, Any] = {}
        for position, count in zip(first, np.bincount(inverse, minlength=len(first)), strict=True):
            key = _category_key(values[position])
            counts[key] = counts.get(key, 0) + int(count)
            originals.setdefault(key, values[position])
        ranked = sorted(counts, key=lambda k: (-counts[k], str(k)))[:max_categories]
        total = max(sum(counts.values()), 1)
        return cls(
            values=[originals[k] for k in ranked], frequencies=[counts[k] / total for k in ranked]
        )

    def __post_init__(self) -> None:
        self._index = {_category_key(v): i for i, v in enumerate(self.values)}

    @property
    def size(self) -> int:
        """Embedding rows: the vocabulary plus the reserved missing and rare rows."""
        return len(self.values) + RESERVED

    def indices(self, series: pd.Series) -> np.ndarray:
        """Embedding indices: 0 missing, 1 rare/unseen, 2+ vocabulary."""
        present = observed_mask(series)
        out = np.full(len(series), MISSING_INDEX, dtype=np.int64)
        values = series.to_numpy(dtype=object)[present]
        first, inverse = _distinct(values)
        lookup = [self._index.get(_category_key(values[position])) for position in first]
        table = np.array(
            [RARE_INDEX if v is None else v + RESERVED for v in lookup], dtype=np.int64
        )
        out[present] = table[inverse]
        return out

    def target(self, series: pd.Series) -> np.ndarray:
        """Class ids 0..K-1, or -1 where missing or outside the vocabulary."""
        idx = self.indices(series) - RESERVED
        idx[idx < 0] = -1
        return idx

    def decode(self, classes: np.ndarray) -> list[Any]:
        return [self.values[int(c)] for c in classes]

    def cast(self, values: list[Any], like: pd.Series) -> pd.Series:
        dtype = like.dtype
        if pd.api.types.is_bool_dtype(dtype) and not isinstance(
            dtype, pd.api.extensions.ExtensionDtype
        ):
            dtype = object
        return pd.Series(values, index=like.index, dtype=object).astype(dtype)

    def to_state(self) -> dict[str, Any]:
        return {"values": [_to_json(v) for v in self.values], "frequencies": self.frequencies}


_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class TextEncoder:
    """Hashed character 3-grams and word tokens, for an EmbeddingBag (inputs only)."""

    kind: ClassVar[ColumnKind] = ColumnKind.TEXT
    buckets: int = 4096
    max_tokens: int = 256

    @classmethod
    def fit(cls, series: pd.Series, buckets: int = 4096) -> TextEncoder:
        return cls(buckets=buckets)

    def bags(self, series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Flat bucket ids and per-row offsets; a missing or empty cell is an empty bag."""
        cache: dict[str, list[int]] = {}
        ids: list[int] = []
        offsets = np.zeros(len(series), dtype=np.int64)
        present = observed_mask(series)
        for row, value in enumerate(series.to_numpy(dtype=object)):
            offsets[row] = len(ids)
            if present[row]:
                text = str(value)
                if text not in cache:
                    cache[text] = self._hash(text)
                ids.extend(cache[text])
        return np.asarray(ids, dtype=np.int64), offsets

    def _hash(self, text: str) -> list[int]:
        text = text.lower()
        words = _TOKEN.findall(text)
        grams = [f"w:{w}" for w in words]
        for word in words:
            padded = f"<{word}>"
            grams += [padded[i : i + 3] for i in range(max(len(padded) - 2, 1))]
        grams = grams[: self.max_tokens]
        return [zlib.crc32(g.encode("utf-8")) % self.buckets for g in grams]

    def cast(self, values: list[Any], like: pd.Series) -> pd.Series:
        """Copied texts (see ``copy_free_text``) as a Series of ``like``'s dtype."""
        return pd.Series(values, index=like.index, dtype=object).astype(like.dtype)

    def to_state(self) -> dict[str, Any]:
        return {"buckets": self.buckets, "max_tokens": self.max_tokens}


Encoder = NumericEncoder | DatetimeEncoder | CategoricalEncoder | TextEncoder


def fit_encoder(
    series: pd.Series, kind: ColumnKind, max_categories: int, text_buckets: int
) -> Encoder:
    """The encoder for ``kind``, fitted on ``series``'s observed values."""
    if kind == ColumnKind.NUMERIC:
        return NumericEncoder.fit(series)
    if kind == ColumnKind.DATETIME:
        return DatetimeEncoder.fit(series)
    if kind == ColumnKind.CATEGORICAL:
        return CategoricalEncoder.fit(series, max_categories)
    if kind == ColumnKind.TEXT:
        return TextEncoder.fit(series, text_buckets)
    raise ValueError(f"column {series.name!r}: kind {kind.value!r} has no encoder")


def encoder_state(encoder: Encoder) -> dict[str, Any]:
    """``encoder`` as JSON-safe data, tagged with its kind."""
    return {"kind": encoder.kind.value, **encoder.to_state()}


def encoder_from_state(state: dict[str, Any]) -> Encoder:
    """Rebuild an encoder saved by :func:`encoder_state`."""
    data = dict(state)
    kind = ColumnKind(data.pop("kind"))
    if kind == ColumnKind.NUMERIC:
        return NumericEncoder(**data)
    if kind == ColumnKind.DATETIME:
        return DatetimeEncoder(
            seconds=NumericEncoder(**data["seconds"]), tz=data["tz"], unit=data["unit"]
        )
    if kind == ColumnKind.CATEGORICAL:
        return CategoricalEncoder(
            values=[_from_json(v) for v in data["values"]], frequencies=data["frequencies"]
        )
    return TextEncoder(**data)


def _to_json(value: Any) -> Any:
    """Category values as tagged JSON that comes back as the same type and value (a loaded
    model must find the values it was fitted on, and fill with them): bools, numbers, text,
    decimals, dates and times, uuids, bytes and tuples of those. Anything else is kept as its
    ``repr``, which a loaded model no longer matches."""
    if isinstance(value, (bool, np.bool_)):
        return {"bool": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"int": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"float": float(value)}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, tuple):
        return {"tuple": [_to_json(v) for v in value]}
    for tag, kind, write, _ in _TAGGED:  # subclasses first: pd.Timestamp, datetime, date
        if isinstance(value, kind):
            return {tag: write(value)}
    return {"repr": repr(value)}


def _from_json(data: dict[str, Any]) -> Any:
    ((tag, value),) = data.items()
    if tag == "tuple":
        return tuple(_from_json(v) for v in value)
    read = _READERS.get(tag)
    return value if read is None else read(value)


def _iso(value: dt.date | dt.time) -> str:
    return value.isoformat()


def _timestamp(data: list[str | None]) -> pd.Timestamp:
    """A Timestamp from its ISO text and its zone's name (the text keeps only the offset)."""
    text, zone = data
    value = pd.Timestamp(text)
    return value if zone is None else value.tz_convert(zone)


#: Category values other than JSON's own: (tag, type, to JSON, from JSON).
_TAGGED: tuple[tuple[str, type, Any, Any], ...] = (
    ("decimal", decimal.Decimal, str, decimal.Decimal),
    ("timestamp", pd.Timestamp, lambda v: [v.isoformat(), v.tzname() and str(v.tz)], _timestamp),
    ("timedelta", pd.Timedelta, lambda v: int(v.value), lambda v: pd.Timedelta(v, unit="ns")),
    ("datetime", dt.datetime, _iso, dt.datetime.fromisoformat),
    ("date", dt.date, _iso, dt.date.fromisoformat),
    ("time", dt.time, _iso, dt.time.fromisoformat),
    (
        "pytimedelta",
        dt.timedelta,
        lambda v: [v.days, v.seconds, v.microseconds],
        lambda v: dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    ),
    ("uuid", uuid.UUID, str, uuid.UUID),
    ("bytes", bytes, bytes.hex, bytes.fromhex),
)
_READERS = {tag: read for tag, _, _, read in _TAGGED}
