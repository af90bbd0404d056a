"""Profile of a table's observed values: what a filled column should still look like.

Computed before imputing and stored with the model, so that later partitions are judged against
the training data rather than against themselves. The validation suite (``quality``) and the
drift check of the model store (:func:`psi`) both read it. Pure pandas/numpy, JSON round trip.

Numeric and datetime columns are summarised on one numeric axis: datetimes as seconds since
1970-01-01 UTC (see :func:`numeric_values`). Categorical and text columns keep their ``top_k``
most frequent values; the rest are counted together under :data:`OTHER`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impute_assets.core.datetimes import epoch_seconds
from impute_assets.core.encoding.encoders import decimals_as_floats, power_of_two_scale
from impute_assets.core.jsonable import json_scalar
from impute_assets.core.kinds import ColumnKind

#: Name of the bucket that holds every value outside a column's ``top_k``.
OTHER = "__other__"

#: Quantiles kept for numeric and datetime columns, by name.
QUANTILES: dict[str, float] = {
    "q01": 0.01, "q05": 0.05, "q10": 0.10, "q25": 0.25, "q50": 0.50,
    "q75": 0.75, "q90": 0.90, "q95": 0.95, "q99": 0.99,
}  # fmt: skip

#: Kinds summarised by numbers (range, moments, quantiles, histogram).
NUMERIC_KINDS = frozenset({ColumnKind.NUMERIC, ColumnKind.DATETIME})
#: Kinds summarised by value frequencies.
FREQUENCY_KINDS = frozenset({ColumnKind.CATEGORICAL, ColumnKind.TEXT})

#: Share given to empty bins in :func:`psi`, so that the log stays finite.
PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class ColumnProfile:
    """Observed values of one column.

    ``count`` is the number of observed (non-missing) cells and ``missing`` the number of empty
    ones. Numeric fields are ``None`` for frequency kinds and the reverse; ``id`` and
    ``unsupported`` columns keep only the counts.
    """

    name: str
    kind: ColumnKind
    count: int
    missing: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, float] = field(default_factory=dict)
    histogram_edges: tuple[float, ...] = ()
    histogram_counts: tuple[int, ...] = ()
    top_values: tuple[tuple[Any, int], ...] = ()
    other: int = 0
    #: Observed -inf and +inf cells (numbers only; the range and moments leave them out).
    infinite: tuple[int, int] = (0, 0)

    @property
    def frequencies(self) -> dict[Any, int]:
        """Value -> observed count for the ``top_k`` values, plus :data:`OTHER` when non-zero."""
        freqs = dict(self.top_values)
        if self.other:
            freqs[OTHER] = self.other
        return freqs

    @property
    def vocabulary(self) -> list[Any]:
        """The observed values kept in the profile (all of them when ``other`` is 0)."""
        return [value for value, _ in self.top_values]

    @classmethod
    def from_series(
        cls, series: pd.Series, kind: ColumnKind | str, bins: int = 20, top_k: int = 50
    ) -> ColumnProfile:
        """Profile one column's observed values."""
        kind = ColumnKind(kind)
        name = str(series.name)
        observed = series.dropna()
        base = {"name": name, "kind": kind, "count": len(observed),
                "missing": int(len(series) - len(observed))}  # fmt: skip
        values = numeric_values(observed, kind) if kind in NUMERIC_KINDS else np.empty(0)
        if kind is ColumnKind.NUMERIC and len(observed):
            raw = _floats(observed)
            base["infinite"] = (int(np.isneginf(raw).sum()), int(np.isposinf(raw).sum()))
        if len(values):
            return cls(**base, **_numeric_summary(values, bins))
        if kind in FREQUENCY_KINDS and len(observed):
            counts = observed.value_counts(sort=True)
            top = counts.iloc[:top_k]
            return cls(
                **base,
                top_values=tuple((json_scalar(v), int(c)) for v, c in top.items()),
                other=int(counts.iloc[top_k:].sum()),
            )
        return cls(**base)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (see :meth:`from_dict`)."""
        data = asdict(self)
        data["kind"] = self.kind.value
        data["histogram_edges"] = list(self.histogram_edges)
        data["histogram_counts"] = list(self.histogram_counts)
        data["top_values"] = [[value, count] for value, count in self.top_values]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnProfile:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        try:
            data["kind"] = ColumnKind(data["kind"])
        except (KeyError, ValueError) as exc:
            raise ValueError(f"column profile {data.get('name')!r}: bad kind ({exc})") from None
        data["histogram_edges"] = tuple(data.get("histogram_edges", ()))
        data["histogram_counts"] = tuple(data.get("histogram_counts", ()))
        data["top_values"] = tuple((value, count) for value, count in data.get("top_values", ()))
        data["infinite"] = tuple(data.get("infinite", (0, 0)))
        return cls(**data)


@dataclass(frozen=True)
class TableProfile:
    """Observed values of every profiled column of a table, keyed by column name."""

    columns: dict[str, ColumnProfile]
    rows: int
    bins: int = 20
    top_k: int = 50

    def __getitem__(self, column: str) -> ColumnProfile:
        try:
            return self.columns[column]
        except KeyError:
            raise KeyError(
                f"column {column!r} is not in the profile; have {sorted(self.columns)}"
            ) from None

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        kinds: Mapping[str, ColumnKind | str],
        bins: int = 20,
        top_k: int = 50,
    ) -> TableProfile:
        """Profile the columns named in ``kinds`` (other columns of ``df`` are ignored)."""
        if bins < 1 or top_k < 1:
            raise ValueError(f"bins and top_k must be >= 1, got bins={bins}, top_k={top_k}")
        unknown = set(kinds) - set(df.columns)
        if unknown:
            raise KeyError(f"columns not in the frame: {sorted(unknown)}; have {list(df.columns)}")
        columns = {
            name: ColumnProfile.from_series(df[name], kind, bins=bins, top_k=top_k)
            for name, kind in kinds.items()
        }
        return cls(columns=columns, rows=len(df), bins=bins, top_k=top_k)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (see :meth:`from_dict`)."""
        return {
            "rows": self.rows,
            "bins": self.bins,
            "top_k": self.top_k,
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableProfile:
        """Inverse of :meth:`to_dict`."""
        return cls(
            columns={n: ColumnProfile.from_dict(c) for n, c in data["columns"].items()},
            rows=int(data["rows"]),
            bins=int(data.get("bins", 20)),
            top_k=int(data.get("top_k", 50)),
        )

    def to_json(self, path: str | PathLike[str]) -> None:
        """Write the profile to a JSON file."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False))

    @classmethod
    def from_json(cls, path: str | PathLike[str]) -> TableProfile:
        """Read a profile written by :meth:`to_json`."""
        return cls.from_dict(json.loads(Path(path).read_text()))


def numeric_values(series: pd.Series, kind: ColumnKind | str) -> np.ndarray:
    """The float axis a numeric or datetime column is profiled on (missing and infinite values
    dropped: they have no place on a histogram).

    Datetimes become seconds since 1970-01-01 UTC; timezone-aware ones are converted to UTC.
    """
    observed = series.dropna()
    if ColumnKind(kind) is ColumnKind.DATETIME:
        return epoch_seconds(observed).to_numpy(dtype=float)
    values = _floats(observed)
    return values[np.isfinite(values)]


def _floats(observed: pd.Series) -> np.ndarray:
    """The observed values of a numeric column as ``float64`` (Arrow decimals through Arrow's
    cast, see :func:`~impute_assets.core.encoding.encoders.decimals_as_floats`)."""
    return pd.to_numeric(decimals_as_floats(observed)).to_numpy(dtype=float)


def psi(reference: ColumnProfile, current: pd.Series) -> float:
    """Population stability index of ``current``'s observed values against ``reference``.

    Numeric/datetime columns are binned on the reference histogram's edges (values beyond the
    outer edges fall in the outer bins); categorical/text columns on the reference's top values
    plus :data:`OTHER`. Empty bins get :data:`PSI_EPSILON`. Rule of thumb: < 0.1 stable,
    0.1-0.25 moderate shift, > 0.25 large shift.
    """
    observed = current.dropna()
    if observed.empty or reference.count == 0:
        raise ValueError(
            f"column {reference.name!r}: PSI needs observed values in both the reference "
            f"({reference.count}) and the current data ({len(observed)})"
        )
    if reference.kind in NUMERIC_KINDS:
        ref_counts = np.asarray(reference.histogram_counts, dtype=float)
        values = numeric_values(observed, reference.kind)
        cur_counts = _bin_counts(values, reference.histogram_edges)
    elif reference.kind in FREQUENCY_KINDS:
        vocabulary = reference.vocabulary
        ref_counts = np.array([c for _, c in reference.top_values] + [reference.other], float)
        index = {value: i for i, value in enumerate(vocabulary)}
        # grouped as the reference's top values were (value_counts), so each distinct value
        # is looked up once, not each of a million cells
        distinct = observed.value_counts(sort=False)
        positions = [index.get(json_scalar(v), len(vocabulary)) for v in distinct.index]
        cur_counts = np.bincount(
            np.asarray(positions, dtype=int),
            weights=distinct.to_numpy(dtype=float),
            minlength=len(vocabulary) + 1,
        )
    else:
        raise ValueError(f"column {reference.name!r}: PSI is undefined for kind {reference.kind}")
    ref_share = np.maximum(ref_counts / ref_counts.sum(), PSI_EPSILON)
    cur_share = np.maximum(cur_counts / cur_counts.sum(), PSI_EPSILON)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def _bin_counts(values: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Counts of ``values`` in the bins of ``edges``, the outer bins open to +-infinity."""
    inner = np.asarray(edges[1:-1], dtype=float)
    return np.bincount(np.searchsorted(inner, values, side="right"), minlength=len(edges) - 1)


def _numeric_summary(values: np.ndarray, bins: int) -> dict[str, Any]:
    # Near the float64 limit (a column spanning +-1e308) the range, sums and squares overflow:
    # summarize values / 2**k instead (exact: a power of two only moves the exponent).
    scale = power_of_two_scale(values)
    scaled = values / scale
    counts, edges = np.histogram(scaled, bins=bins)
    edges = edges * scale
    std = float(np.std(scaled, ddof=1)) * scale if len(values) > 1 else 0.0
    qs = np.quantile(values, list(QUANTILES.values()))
    return {
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": float(scaled.mean()) * scale,
        "std": std,
        "quantiles": {name: float(q) for name, q in zip(QUANTILES, qs, strict=True)},
        "histogram_edges": tuple(float(e) for e in edges),
        "histogram_counts": tuple(int(c) for c in counts),
    }
