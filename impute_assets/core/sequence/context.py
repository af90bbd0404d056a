"""Sequence context: each row's previous and next observed neighbours in time within its group.

With ``order_by`` (and optionally ``group_by``) every context column gets derived input columns:
its previous and next *observed* value in the row's group (never the row's own value), the time
gaps to them, and for numbers the time-weighted interpolation between them and the row's own
deviation from it (which only the other columns' models read). They are plain
columns named ``__seq__<part>:<column>``, so the feature space encodes them like any other column
and both the network and the cheap candidates read them.

Training hides observed cells the way gaps occur (single cells and runs of consecutive rows)
before the context is built, so the models also learn from rows whose neighbours are far away.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from impute_assets.core.datetimes import as_datetimes, epoch_seconds
from impute_assets.core.encoding.encoders import _as_float, observed_mask
from impute_assets.core.kinds import ColumnKind

PREFIX = "__seq__"
#: Kinds that get neighbour context (text is read only through its own row).
CONTEXT_KINDS = frozenset({ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.DATETIME})
#: Share of training gaps that are single cells; the rest are runs of 3..max_run rows.
SINGLE_SHARE = 0.5
MIN_RUN = 3
#: A column needs this many missing runs of its own for training gaps to copy their lengths.
MIN_OWN_GAPS = 20
#: An interpolation whose neighbours are at most this many typical steps apart in all is
#: "near": it also goes to the models as its own feature, so even a linear model can trust
#: close neighbours more than far ones.
NEAR_STEPS = 2.5


@dataclass(frozen=True)
class SequenceSpec:
    """How rows form sequences, and which columns get neighbour context.

    Args:
        order_by: The time (or any ordered) column.
        group_by: Entity columns; rows of different entities are never neighbours.
        columns: The context columns (set when fitting, from the input kinds).
        interpolated: The numeric context columns, which also get an interpolation.
        gap_share: Share of each column's observed cells hidden as gaps while training.
        max_run: The longest run of consecutive cells hidden as one training gap.
        window: Rows on each side whose raw values (and time offsets) become window columns
            for the recurrent encoder (see :mod:`.recurrent`).
        step: The median time between consecutive rows of a group, measured by
            :meth:`measured`; neighbours within ``NEAR_STEPS`` steps count as near.
    """

    order_by: str
    group_by: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    interpolated: tuple[str, ...] = ()
    gap_share: float = 0.3
    max_run: int = 12
    #: The typical time step between consecutive rows of a group (learnt when fitting).
    step: float = 0.0
    #: Rows on each side given to the recurrent encoder (0: none).
    window: int = 0

    def __post_init__(self) -> None:
        group = (self.group_by,) if isinstance(self.group_by, str) else tuple(self.group_by or ())
        object.__setattr__(self, "group_by", group)
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "interpolated", tuple(self.interpolated))
        if self.order_by in group:
            raise ValueError(f"order_by {self.order_by!r} is also in group_by {list(group)}")
        if not 0.0 <= self.gap_share < 1.0:
            raise ValueError(f"SequenceSpec.gap_share must be in [0, 1), got {self.gap_share}")
        if self.window < 0:
            raise ValueError(f"SequenceSpec.window must be >= 0, got {self.window}")
        if self.max_run < MIN_RUN:
            raise ValueError(f"SequenceSpec.max_run must be >= {MIN_RUN}, got {self.max_run}")

    @property
    def keys(self) -> list[str]:
        """The columns that place a row in its sequence."""
        return [self.order_by, *self.group_by]

    def key_kinds(
        self, frame: pd.DataFrame, kinds: Mapping[str, ColumnKind], given: Collection[str] = ()
    ) -> dict[str, ColumnKind]:
        """``kinds`` with the keys read as keys: the order column as :func:`time_kind` says (a
        step counter 0, 1, 2, ... is a time, not an id; dates held as objects or strings are
        datetimes), and a group column whose values are all distinct as categorical, not an
        id. Kinds the user gave (``given``) win. A key that is not in the frame, excluded or
        entirely missing is refused, by name."""
        for column in self.keys:
            if column not in frame.columns:
                raise KeyError(
                    f"sequence column {column!r} is not in the frame; have {list(frame.columns)}"
                )
            if column not in kinds:
                raise KeyError(
                    f"sequence column {column!r} is excluded; order_by and group_by "
                    "columns must be inputs"
                )
            if frame[column].isna().all():
                raise ValueError(
                    f"sequence column {column!r} is entirely missing: its rows "
                    "cannot be ordered or grouped"
                )
        out = dict(kinds)
        if self.order_by not in given:
            out[self.order_by] = time_kind(frame[self.order_by])
        for column in self.group_by:
            if column not in given and out[column] == ColumnKind.ID:
                out[column] = ColumnKind.CATEGORICAL
        return out

    def for_inputs(self, kinds: Mapping[str, ColumnKind]) -> SequenceSpec:
        """This spec with every context-capable input (other than the keys) as a context column."""
        missing = [c for c in self.keys if c not in kinds]
        if missing:
            raise KeyError(
                f"sequence columns {missing} are not usable inputs (excluded, or of an "
                f"unsupported kind); inputs are {sorted(kinds)}"
            )
        columns = [c for c, k in kinds.items() if k in CONTEXT_KINDS and c not in self.keys]
        numeric = [c for c in columns if kinds[c] == ColumnKind.NUMERIC]
        return replace(self, columns=tuple(columns), interpolated=tuple(numeric))

    def measured(self, frame: pd.DataFrame) -> SequenceSpec:
        """This spec with ``step`` measured on ``frame``."""
        seq = ordering(frame, self)
        diffs = np.diff(seq.times)
        same_group = np.diff(seq.group_start) == 0
        positive = diffs[same_group & (diffs > 0)]
        return replace(self, step=float(np.median(positive)) if positive.size else 0.0)

    def derived_kinds(self, kinds: Mapping[str, ColumnKind]) -> dict[str, ColumnKind]:
        """The kinds of the derived context columns of ``self.columns``."""
        out: dict[str, ColumnKind] = {}
        for column in self.columns:
            kind = kinds[column]
            out[context_name("prev", column)] = kind
            out[context_name("next", column)] = kind
            if column in self.interpolated:
                out[context_name("interp", column)] = ColumnKind.NUMERIC
                out[context_name("interp_near", column)] = ColumnKind.NUMERIC
                out[context_name("cubic", column)] = ColumnKind.NUMERIC
                out[context_name("delta", column)] = ColumnKind.NUMERIC
            out[context_name("gap_prev", column)] = ColumnKind.NUMERIC
            out[context_name("gap_next", column)] = ColumnKind.NUMERIC
        for offset in self.window_offsets:
            for column in (*self.interpolated, ""):
                out[window_name(offset, column)] = ColumnKind.NUMERIC
        return out

    @property
    def window_offsets(self) -> list[int]:
        return [*range(-self.window, 0), *range(1, self.window + 1)]

    def to_state(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "group_by": list(self.group_by),
            "columns": list(self.columns),
            "interpolated": list(self.interpolated),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> SequenceSpec:
        return cls(**state)


def context_name(part: str, column: str) -> str:
    return f"{PREFIX}{part}:{column}"


def window_name(offset: int, column: str) -> str:
    """The window column of ``column`` at ``offset`` rows from the row ("": the time offset)."""
    return f"{PREFIX}win{offset:+d}:{column}"


def is_context_column(name: str) -> bool:
    """True for a derived neighbour-context column."""
    return str(name).startswith(PREFIX)


def owner(name: str) -> str:
    """The table column whose own value a feature column carries: ``delta`` (the row's value
    minus its interpolation) belongs to its column, so that column's model never reads it;
    every other column, derived or not, is its own."""
    prefix = f"{PREFIX}delta:"
    return name[len(prefix) :] if str(name).startswith(prefix) else name


@dataclass
class Ordering:
    """Rows sorted by (group, time, arrival); positions index the frame as given."""

    order: np.ndarray  # sorted position -> frame position
    times: np.ndarray  # float time key per sorted position (NaN where unknown)
    group_start: np.ndarray  # first sorted position of each sorted row's group
    group_end: np.ndarray  # last sorted position of each sorted row's group


def ordering(frame: pd.DataFrame, spec: SequenceSpec) -> Ordering:
    """Sort ``frame``'s rows into sequences; rows without a time key stand alone."""
    n = len(frame)
    times = _time_key(frame[spec.order_by])
    if spec.group_by:
        groups = frame.groupby(list(spec.group_by), dropna=False, sort=False).ngroup().to_numpy()
    else:
        groups = np.zeros(n, dtype=np.int64)
    unknown = np.isnan(times)
    groups = groups.astype(np.int64)
    groups[unknown] = groups.max(initial=0) + 1 + np.arange(unknown.sum())
    order = np.lexsort((np.arange(n), np.nan_to_num(times, nan=0.0), groups))
    sorted_groups = groups[order]
    change = np.ones(n, dtype=bool)
    change[1:] = sorted_groups[1:] != sorted_groups[:-1]
    positions = np.arange(n)
    start = np.maximum.accumulate(np.where(change, positions, 0)) if n else positions
    last = np.ones(n, dtype=bool)
    last[:-1] = change[1:]
    end = np.minimum.accumulate(np.where(last, positions, n)[::-1])[::-1] if n else positions
    return Ordering(order, times[order], start, end)


def _time_key(series: pd.Series) -> np.ndarray:
    """Seconds since the epoch for datetimes and dates, the value itself for numbers."""
    if time_kind(series) == ColumnKind.DATETIME:
        return epoch_seconds(series).to_numpy()
    return _as_float(series)


#: What pandas' ``infer_dtype`` says of an object or string column that can be a time.
_NUMBER_VALUES = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})
_DATE_VALUES = frozenset({"date", "datetime", "datetime64", "string"})


def time_kind(series: pd.Series) -> ColumnKind:
    """How an ``order_by`` column is read: NUMERIC for numbers (an integer step counter too,
    which would otherwise be guessed an id), DATETIME for datetimes and for dates held as
    ``datetime.date`` objects or strings (parsed by pandas); a TypeError naming the column
    for anything else (booleans, categories, free strings, durations)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return ColumnKind.DATETIME
    values = pd.api.types.infer_dtype(series, skipna=True)
    if values in _NUMBER_VALUES:
        return ColumnKind.NUMERIC
    if values in _DATE_VALUES:
        try:
            as_datetimes(series)
        except (ValueError, TypeError) as error:
            raise TypeError(
                f"order_by column {series.name!r} holds values that are not dates "
                f"({error}); convert it with pd.to_datetime(..., format=...)"
            ) from None
        return ColumnKind.DATETIME
    raise TypeError(
        f"order_by column {series.name!r} must hold datetimes, dates or numbers, "
        f"got dtype {series.dtype} ({values} values)"
    )


def neighbours(observed: np.ndarray, seq: Ordering) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions of each sorted row's previous and next observed row (-1 where none).

    The row itself is never its own neighbour, so its value cannot leak into its context.
    """
    n = len(observed)
    positions = np.arange(n)
    last = np.maximum.accumulate(np.where(observed, positions, -1)) if n else positions
    prev = np.full(n, -1)
    prev[1:] = last[:-1]
    prev[prev < seq.group_start] = -1
    first = np.minimum.accumulate(np.where(observed, positions, n)[::-1])[::-1] if n else positions
    nxt = np.full(n, -1)
    nxt[:-1] = first[1:]
    nxt[(nxt > seq.group_end) | (nxt >= n)] = -1
    return prev, nxt


def gap_runs(hidden: np.ndarray, seq: Ordering) -> np.ndarray:
    """Per row, in frame order: the id of its run of ``hidden`` rows (rows that follow one
    another in time within one group; cells of one gap share their neighbours, so their errors
    go together), -1 for a row not hidden."""
    ordered = hidden[seq.order]
    positions = np.arange(len(ordered))
    after_hidden = np.concatenate([[False], ordered[:-1]])
    starts = ordered & ((positions == seq.group_start) | ~after_hidden)
    runs = np.empty(len(ordered), dtype=np.int64)
    runs[seq.order] = np.where(ordered, np.cumsum(starts) - 1, -1)
    return runs


def context_columns(frame: pd.DataFrame, spec: SequenceSpec) -> pd.DataFrame:
    """The derived context columns of ``frame`` (same row order and index)."""
    seq = ordering(frame, spec)
    inverse = np.empty_like(seq.order)
    inverse[seq.order] = np.arange(len(seq.order))
    out: dict[str, Any] = {}
    for column in spec.columns:
        series = frame[column]
        ordered = series.iloc[seq.order].reset_index(drop=True)
        observed = observed_mask(ordered)
        prev, nxt = neighbours(observed, seq)
        gap_prev = np.where(prev >= 0, seq.times - seq.times[np.maximum(prev, 0)], np.nan)
        gap_next = np.where(nxt >= 0, seq.times[np.maximum(nxt, 0)] - seq.times, np.nan)
        prev_values = _take(ordered, prev)
        next_values = _take(ordered, nxt)
        out[context_name("prev", column)] = prev_values.iloc[inverse]
        out[context_name("next", column)] = next_values.iloc[inverse]
        if column in spec.interpolated:
            interp = _interpolate(
                _as_float(prev_values), _as_float(next_values), gap_prev, gap_next
            )
            out[context_name("interp", column)] = interp[inverse]
            values = _as_float(ordered)
            out[context_name("cubic", column)] = _hermite(values, seq.times, prev, nxt, interp)[
                inverse
            ]
            near = np.abs(gap_prev) + np.abs(gap_next) <= NEAR_STEPS * spec.step
            out[context_name("interp_near", column)] = np.where(near, interp, np.nan)[inverse]
            # the row's own deviation from its neighbours: tells *other* columns how this
            # moment differs from a straight line (owned by this column, see :func:`owner`)
            out[context_name("delta", column)] = (values - interp)[inverse]
        out[context_name("gap_prev", column)] = np.log1p(np.abs(gap_prev))[inverse]
        out[context_name("gap_next", column)] = np.log1p(np.abs(gap_next))[inverse]
    out.update(_window_columns(frame, spec, seq, inverse))
    # by position, each in its own dtype (a tz-aware column of neighbours that are all NaT went
    # through numpy as naive datetimes, and could not be cast back)
    return pd.DataFrame(
        {
            name: pd.Series(v.array, index=frame.index) if isinstance(v, pd.Series) else v
            for name, v in out.items()
        },
        index=frame.index,
    )


def _window_columns(
    frame: pd.DataFrame, spec: SequenceSpec, seq: Ordering, inverse: np.ndarray
) -> dict[str, np.ndarray]:
    """Raw values of the rows ``offset`` places away in the group (never the row itself), and
    the log time offsets to them, for the recurrent encoder."""
    out: dict[str, np.ndarray] = {}
    positions = np.arange(len(seq.order))
    step = spec.step if spec.step > 0 else 1.0
    values = {c: _as_float(frame[c].iloc[seq.order]) for c in spec.interpolated}
    for offset in spec.window_offsets:
        other = positions + offset
        inside = (other >= seq.group_start) & (other <= seq.group_end)
        other = np.where(inside, other, 0)
        for column, ordered in values.items():
            out[window_name(offset, column)] = np.where(inside, ordered[other], np.nan)[inverse]
        lag = np.abs(seq.times[other] - seq.times) / step
        out[window_name(offset, "")] = np.where(inside, np.sign(offset) * np.log1p(lag), np.nan)[
            inverse
        ]
    return out


def _take(ordered: pd.Series, index: np.ndarray) -> pd.Series:
    """``ordered`` at ``index`` (missing where ``index`` is -1), keeping the dtype."""
    picked = ordered.iloc[np.maximum(index, 0)].reset_index(drop=True) if len(ordered) else ordered
    return picked.where(pd.Series(index >= 0))


def _interpolate(
    prev: np.ndarray, nxt: np.ndarray, gap_prev: np.ndarray, gap_next: np.ndarray
) -> np.ndarray:
    """Time-weighted interpolation between the neighbours; one side alone where only one exists."""
    total = np.abs(gap_prev) + np.abs(gap_next)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(total > 0, np.abs(gap_prev) / total, 0.5)
    both = prev + (nxt - prev) * weight
    return np.where(np.isnan(prev), nxt, np.where(np.isnan(nxt), prev, both))


def _hermite(
    values: np.ndarray, times: np.ndarray, prev: np.ndarray, nxt: np.ndarray, linear: np.ndarray
) -> np.ndarray:
    """Cubic Hermite interpolation between the neighbours, with the slopes the series had on
    each side of the gap (from the second-nearest neighbours); ``linear`` where a side is
    missing. Follows smooth curves (a storm's track) through long gaps better than a line."""
    prev2 = np.where(prev >= 0, prev[np.maximum(prev, 0)], -1)
    next2 = np.where(nxt >= 0, nxt[np.maximum(nxt, 0)], -1)
    ok = (prev2 >= 0) & (next2 >= 0)
    p2, p1, n1, n2 = (np.maximum(i, 0) for i in (prev2, prev, nxt, next2))
    with np.errstate(invalid="ignore", divide="ignore"):
        span = times[n1] - times[p1]
        slope0 = (values[p1] - values[p2]) / (times[p1] - times[p2])
        slope1 = (values[n2] - values[n1]) / (times[n2] - times[n1])
        s = (times - times[p1]) / span
        cubic = (
            (2 * s**3 - 3 * s**2 + 1) * values[p1]
            + (s**3 - 2 * s**2 + s) * span * slope0
            + (-2 * s**3 + 3 * s**2) * values[n1]
            + (s**3 - s**2) * span * slope1
        )
        # never overshoot the four points by more than half their range (steep, noisy slopes)
        points = np.stack([values[p2], values[p1], values[n1], values[n2]])
        low, high = points.min(axis=0), points.max(axis=0)
        cubic = np.clip(cubic, low - (high - low) / 2, high + (high - low) / 2)
    ok &= np.isfinite(cubic) & (span > 0)
    return np.where(ok, cubic, linear)


def with_context(
    frame: pd.DataFrame, spec: SequenceSpec, context: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``frame`` plus its context columns; ``context`` rows (e.g. the previous partition) serve
    as neighbours only and are not part of the result."""
    if context is None or context.empty:
        return pd.concat([frame, context_columns(frame, spec)], axis=1)
    missing = [c for c in [*spec.keys, *spec.columns] if c not in context.columns]
    if missing:
        raise KeyError(f"context rows lack the sequence columns {missing}")
    both = pd.concat(
        [context[frame.columns.intersection(context.columns)], frame], ignore_index=True
    )
    derived = context_columns(both, spec).iloc[len(context) :]
    derived.index = frame.index
    return pd.concat([frame, derived], axis=1)


def hide_gaps(
    frame: pd.DataFrame, spec: SequenceSpec, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A copy of ``frame`` with ``gap_share`` of each context column's cells hidden as gaps,
    and the hidden cells per column.

    Gaps are shaped like the column's own missing runs in ``frame`` (their lengths, capped at
    ``max_run``); a column with too few gaps of its own gets single cells and runs of
    ``3..max_run`` rows, half and half. Runs never cross from one group into the next.
    """
    seq = ordering(frame, spec)
    n = len(frame)
    out = frame.copy()
    hidden_cells = {}
    for column in spec.columns:
        observed = observed_mask(frame[column].iloc[seq.order].reset_index(drop=True))
        lengths = _gap_lengths(observed, seq, spec, rng)
        mean_run = max(float(lengths.mean()), 1.0)
        starts = np.flatnonzero(rng.random(n) < spec.gap_share / mean_run)
        lengths = rng.choice(lengths, size=len(starts))
        origin = np.repeat(starts, lengths)
        covered = origin + _ramp(lengths)
        inside = covered < n
        covered, origin = covered[inside], origin[inside]
        covered = covered[covered <= seq.group_end[origin]]
        hidden = np.zeros(n, dtype=bool)
        hidden[seq.order[covered]] = True
        hidden &= observed_mask(frame[column])
        out[column] = out[column].mask(hidden)
        hidden_cells[column] = hidden
    return out, hidden_cells


def _gap_lengths(
    observed: np.ndarray, seq: Ordering, spec: SequenceSpec, rng: np.random.Generator
) -> np.ndarray:
    """Lengths to draw training gaps from: the column's own missing runs (in sorted order,
    within groups), or the default mix when it has fewer than ``MIN_OWN_GAPS`` of them."""
    missing = ~observed
    starts = missing & (
        (np.arange(len(missing)) == seq.group_start) | ~np.concatenate([[False], missing[:-1]])
    )
    run_id = np.cumsum(starts) - 1
    own = np.bincount(run_id[missing], minlength=int(starts.sum())) if starts.any() else np.zeros(0)
    if len(own) >= MIN_OWN_GAPS:
        return np.minimum(own, spec.max_run).astype(np.int64)
    return np.where(
        rng.random(1000) < SINGLE_SHARE, 1, rng.integers(MIN_RUN, spec.max_run + 1, size=1000)
    ).astype(np.int64)


def _ramp(lengths: np.ndarray) -> np.ndarray:
    """0..L-1 for each length L, concatenated."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total) - offsets


def context_kinds(kinds: Mapping[str, ColumnKind], spec: SequenceSpec) -> dict[str, ColumnKind]:
    """Every input kind plus the derived context columns' kinds."""
    return {**kinds, **spec.derived_kinds(kinds)}


def raw_columns(columns: Sequence[str]) -> list[str]:
    """``columns`` without the derived context columns."""
    return [c for c in columns if not is_context_column(c)]


def training_frames(
    frame: pd.DataFrame, spec: SequenceSpec, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    """(``frame`` with its context, the same with gaps hidden before the context was built,
    the hidden cells per column).

    The first fits the encoders and gives the targets; the second is what the models read:
    inside a hidden run a row's own cells are missing and its neighbours are the run's ends,
    as in a real gap. The hidden cells make the held-out split, so each column's model is
    chosen on cells that sit in gaps like the ones it will fill.
    """
    hidden, cells = hide_gaps(frame, spec, np.random.default_rng([seed, 1]))
    return with_context(frame, spec), with_context(hidden, spec), cells
