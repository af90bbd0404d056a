"""numpy, pandas and datetime values as JSON values: the one home of those conversions.

Three rules, because three readers want different things:

* :func:`python_scalar` only unwraps numpy scalars (``np.int64(3)`` -> ``3``) and leaves every
  other value to the caller's ``json.dumps(default=str)``: the audit table's row keys, whose
  text is stored in the warehouse and must stay exactly as written before.
* :func:`json_scalar` turns a value into a JSON scalar that is also a distinct, hashable
  dictionary key after a JSON round trip: NaN and infinities become their text (``"nan"``)
  and anything else ``str``; the profile's top values, looked up by it after loading.
* :func:`to_plain` makes a nested value JSON-safe for people and tools reading it: NaN is
  ``null`` (a missing number), infinities are text, dates ISO text, containers recursed; the
  validation results, and the run records in Airflow's XComs and the CLI's JSON.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def python_scalar(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds; any other value unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def json_scalar(value: Any) -> Any:
    """A JSON-native Python scalar for a pandas/numpy value (strings for anything else,
    non-finite floats included).

    Example:
        >>> json_scalar(np.int64(3)), json_scalar(float("nan")), json_scalar(None)
        (3, 'nan', 'None')
    """
    value = python_scalar(value)
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def to_plain(value: Any) -> Any:
    """``value`` made JSON-safe, recursively: numpy scalars, datetimes, NaN (None), inf.

    Example:
        >>> to_plain({"n": np.float64("nan"), "at": dt.date(2024, 1, 2), 3: [np.inf]})
        {'n': None, 'at': '2024-01-02', '3': ['inf']}
    """
    value = python_scalar(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else str(value)  # "inf": JSON has no infinity
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [to_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
