"""Datetimes and seconds since the epoch: the one home of converting between them.

Every numeric view of a datetime in the package is seconds since 1970-01-01 UTC, as a float:
the encoders model it, the profile summarises it, the sequence context orders by it, the
quality suite bounds it, the evaluation scores it and the plots draw it (in days). Timezone-
aware values are converted to UTC first; missing values are NaN.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

#: 1970-01-01, naive (UTC).
EPOCH = datetime(1970, 1, 1)
SECONDS_PER_DAY = 86_400


def as_datetimes(series: pd.Series) -> pd.Series:
    """``series`` as pandas datetimes: datetime dtypes as they are, date objects and date
    strings parsed by pandas. Values in different UTC offsets (ISO strings across a DST change,
    context rows from another zone) are converted to UTC rather than refused."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype) and not isinstance(
        series.dtype, pd.ArrowDtype
    ):
        return series
    try:
        return pd.to_datetime(series)
    except ValueError as error:
        refused = error
    try:
        return pd.to_datetime(series, utc=True)
    except ValueError:
        raise refused from None


def naive_utc(stamps: pd.Series) -> pd.Series:
    """Timezone-aware datetimes as naive UTC (the same instants); naive ones unchanged."""
    if getattr(stamps.dtype, "tz", None) is not None:
        return stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def epoch_seconds(series: pd.Series) -> pd.Series:
    """Seconds since the epoch (NaN where missing), counted in the column's own resolution so
    that datetimes outside the nanosecond range (before 1677, after 2262) keep their value.

    Example:
        >>> epoch_seconds(pd.Series(pd.to_datetime(["1970-01-02", None]))).tolist()
        [86400.0, nan]
    """
    stamps = naive_utc(as_datetimes(series))
    values = stamps.to_numpy()
    unit, count = np.datetime_data(values.dtype)
    ticks = values.view("int64").astype(float)
    ticks[stamps.isna().to_numpy()] = np.nan
    return pd.Series(
        ticks / (np.timedelta64(1, "s") / np.timedelta64(count, unit)), index=series.index
    )


def from_epoch_seconds(seconds: np.ndarray, utc: bool = False) -> pd.DatetimeIndex:
    """Datetimes (nanoseconds; in UTC when ``utc``) for seconds since the epoch, rounded to
    the nanosecond."""
    return pd.to_datetime(np.round(seconds * 1e9).astype("int64"), unit="ns", utc=utc)


def epoch_iso(seconds: float) -> str:
    """Seconds since the epoch as naive UTC ISO text; values past Python's datetimes
    (9999-12-31 23:59:59.999999 rounds up to year 10000 as a float) are held at its last
    (first) microsecond.

    Example:
        >>> epoch_iso(86400.5), epoch_iso(1e18)
        ('1970-01-02T00:00:00.500000', '9999-12-31T23:59:59.999999')
    """
    try:
        return (EPOCH + timedelta(seconds=seconds)).isoformat()
    except OverflowError:
        return (datetime.max if seconds > 0 else datetime.min).isoformat()
