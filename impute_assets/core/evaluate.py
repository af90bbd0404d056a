"""Mask-and-score evaluation: hide known cells, impute them, and score only what was hidden.

The same path scores our ``Imputer`` and any peer: an imputer here is any callable that takes a
frame with gaps and returns it filled (or an object with ``fit_transform``). Missingness
patterns follow the usual taxonomy:

- ``mcar``: every observed cell of a column is equally likely to be hidden.
- ``mar``: the chance grows with the rank of another column's value (the *driver*, a column with
  no missing values, preferring one that is not masked itself), so it depends on data that stays
  visible when the driver is not masked.
- ``mnar``: the chance grows with the rank of the cell's own value (larger numbers, later dates,
  and categories later in sorted order are hidden more often).

In ``mar`` and ``mnar`` a cell's weight is its percentile rank in (0, 1], so the top of the range
is hidden about twice as often as the middle. Each column loses ``round(fraction * observed)``
cells, never all of them; cells that were already missing and id/text columns are left alone.

Scores, on hidden cells only: nRMSE and nMAE (divided by the standard deviation of the
column's known values), MAE in the column's units, a 1-D Wasserstein distance between the
imputed and the true hidden values (also divided by that standard deviation), and for
categoricals accuracy and macro-F1. A hidden cell the imputer left missing is a miss: a wrong
class for categoricals, the mean of the column's known values for numerics; the report counts
such cells in ``left`` and leaves them out of the Wasserstein distance.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from impute_assets.core.kinds import ColumnKind, infer_kinds

Pattern = Literal["mcar", "mar", "mnar"]
PATTERNS: tuple[str, ...] = ("mcar", "mar", "mnar")

#: Kinds whose cells the harness hides and scores.
MASKABLE_KINDS = frozenset({ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.DATETIME})
#: Kinds scored as numbers (datetimes as seconds since the epoch).
_NUMERIC_KINDS = frozenset({ColumnKind.NUMERIC, ColumnKind.DATETIME})

#: An imputer under test: a callable frame -> filled frame (or a result with ``.frame``), or an
#: object with ``fit_transform`` (such as ``Imputer``).
ImputerLike = Callable[[pd.DataFrame], Any] | Any


def mask_cells(
    df: pd.DataFrame,
    pattern: Pattern | str = "mcar",
    fraction: float = 0.2,
    seed: int = 0,
    columns: Sequence[str] | None = None,
    kinds: Mapping[str, ColumnKind] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hide a seeded share of each column's observed cells.

    Args:
        df: the table with its real values (and real gaps, which stay as they are).
        pattern: ``"mcar"``, ``"mar"`` or ``"mnar"`` (see the module docstring).
        fraction: share of each column's observed cells to hide, in (0, 1).
        seed: the same seed on the same frame hides the same cells.
        columns: columns to mask; default every numeric, categorical and datetime column.
        kinds: column kinds; inferred when not given.

    Returns:
        ``(masked, mask)``: a copy of ``df`` with the hidden cells set missing, and a boolean
        frame (same index and columns) that is True exactly where a cell was hidden.

    Example:
        >>> masked, mask = mask_cells(df, "mar", fraction=0.2, seed=0)
    """
    if pattern not in PATTERNS:
        raise ValueError(f"mask_cells: pattern must be one of {PATTERNS}, got {pattern!r}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"mask_cells: fraction must be in (0, 1), got {fraction}")
    kinds = dict(kinds) if kinds is not None else infer_kinds(df)
    targets = _mask_targets(df, kinds, columns)
    rng = np.random.default_rng(seed)
    complete = [c for c in df.columns if kinds.get(c) in MASKABLE_KINDS and df[c].notna().all()]
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    for column in targets:
        observed = np.flatnonzero(df[column].notna().to_numpy())
        n_hide = min(int(round(fraction * len(observed))), len(observed) - 1)
        if n_hide <= 0:
            continue
        weights = _weights(df, column, observed, pattern, targets, complete, rng)
        chosen = rng.choice(observed, size=n_hide, replace=False, p=weights)
        mask.iloc[chosen, df.columns.get_loc(column)] = True
    masked = df.copy()
    for column in targets:
        if mask[column].any():
            masked[column] = masked[column].mask(mask[column])
    return masked, mask


def _mask_targets(
    df: pd.DataFrame, kinds: Mapping[str, ColumnKind], columns: Sequence[str] | None
) -> list[str]:
    if columns is None:
        return [c for c in df.columns if kinds.get(c) in MASKABLE_KINDS]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"mask_cells: columns not in the frame: {missing}; have {list(df.columns)}")
    refused = {c: str(kinds.get(c)) for c in columns if kinds.get(c) not in MASKABLE_KINDS}
    if refused:
        raise ValueError(
            f"mask_cells: cannot mask columns of kind {refused}; "
            f"only {sorted(k.value for k in MASKABLE_KINDS)} columns are masked"
        )
    return list(dict.fromkeys(columns))


def _weights(
    df: pd.DataFrame,
    column: str,
    observed: np.ndarray,
    pattern: str,
    targets: Sequence[str],
    complete: Sequence[str],
    rng: np.random.Generator,
) -> np.ndarray | None:
    """Sampling probabilities over ``observed`` rows (None means uniform)."""
    if pattern == "mcar":
        return None
    if pattern == "mnar":
        source = df[column]
    else:
        drivers = [c for c in complete if c != column and c not in targets]
        drivers = drivers or [c for c in complete if c != column]
        if not drivers:
            raise ValueError(
                f"mask_cells: MAR needs another column without missing values to drive "
                f"column {column!r}; none of {list(df.columns)} is complete"
            )
        source = df[drivers[int(rng.integers(len(drivers)))]]
    ranks = _percentile_ranks(source.iloc[observed])
    return ranks / ranks.sum()


def _percentile_ranks(values: pd.Series) -> np.ndarray:
    """Ranks in (0, 1]; ties share their mean rank; categories rank in sorted label order."""
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
        values = values.astype(str)
    return values.rank(method="average", pct=True).to_numpy(dtype=float)


@dataclass(frozen=True)
class ColumnScore:
    """Scores of one masked column, on its hidden cells only."""

    column: str
    kind: str
    hidden: int
    left: int
    nrmse: float = math.nan
    nmae: float = math.nan
    mae: float = math.nan
    wasserstein: float = math.nan
    accuracy: float = math.nan
    macro_f1: float = math.nan


#: Overall means, each over the columns where the metric applies.
_OVERALL_METRICS = ("nrmse", "nmae", "wasserstein", "accuracy", "macro_f1")


@dataclass(frozen=True)
class EvaluationReport:
    """Per-column scores of one masked run, their means, and how the run was made."""

    columns: tuple[ColumnScore, ...]
    pattern: str = ""
    fraction: float = math.nan
    seed: int | None = None
    seconds: float = math.nan
    method: str = ""
    #: Caveats a reader needs, such as columns whose normalized scores are undefined.
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def hidden(self) -> int:
        """Cells hidden and scored."""
        return sum(c.hidden for c in self.columns)

    @property
    def left(self) -> int:
        """Hidden cells the imputer left missing (scored as misses)."""
        return sum(c.left for c in self.columns)

    @property
    def overall(self) -> dict[str, float | int]:
        """Mean of each metric over the columns it applies to (NaN when none does)."""
        frame = self.to_frame()
        means = {m: _nanmean(frame[m]) if len(frame) else math.nan for m in _OVERALL_METRICS}
        return {**means, "hidden": self.hidden, "left": self.left}

    def to_frame(self) -> pd.DataFrame:
        """One row per masked column."""
        columns = [f.name for f in ColumnScore.__dataclass_fields__.values()]
        return pd.DataFrame([asdict(c) for c in self.columns], columns=columns)

    def to_markdown(self) -> str:
        """A header saying how the run was made, the per-column table and the overall means."""
        overall = self.overall
        lines = [
            f"Evaluation{f' of {self.method}' if self.method else ''}: {self.pattern} masking "
            f"of {self.fraction:.0%} of observed cells (seed {self.seed}); {self.hidden} cells "
            f"hidden, {self.left} left missing by the imputer (scored as misses); "
            f"imputation took {self.seconds:.2f} s.",
            "nRMSE/nMAE/Wasserstein are divided by the std of the column's known values; "
            "accuracy and macro-F1 are over hidden categorical cells.",
            *self.notes,
            "",
            _markdown_table(self.to_frame()),
            "",
            _markdown_table(pd.DataFrame([{"column": "overall (mean)", **overall}])),
        ]
        return "\n".join(lines)


def score(
    truth: pd.DataFrame,
    imputed: pd.DataFrame,
    mask: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
) -> EvaluationReport:
    """Score ``imputed`` against ``truth`` on the cells where ``mask`` is True.

    ``truth`` is the frame before masking; ``imputed`` the imputer's output. Both must share
    ``mask``'s index and columns. Columns with no hidden cell are not scored.
    """
    for name, frame in (("imputed", imputed), ("truth", truth)):
        if not frame.index.equals(mask.index) or list(frame.columns) != list(mask.columns):
            raise ValueError(
                f"score: {name} frame must have the mask's index and columns "
                f"(columns {list(mask.columns)}, {len(mask)} rows); got columns "
                f"{list(frame.columns)}, {len(frame)} rows"
            )
    scores = []
    for column in mask.columns:
        hidden = mask[column].to_numpy(dtype=bool)
        if not hidden.any():
            continue
        kind = ColumnKind(kinds[column])
        if kind in _NUMERIC_KINDS:
            scores.append(_score_numeric(column, kind, truth[column], imputed[column], hidden))
        elif kind == ColumnKind.CATEGORICAL:
            scores.append(_score_categorical(column, truth[column], imputed[column], hidden))
        else:
            raise ValueError(f"score: column {column!r} of kind {kind.value!r} cannot be scored")
    notes = tuple(
        f"Column {c.column!r} is constant: its normalized scores are undefined (MAE {c.mae:.4g})."
        for c in scores
        if c.kind in _NUMERIC_KINDS and math.isnan(c.nrmse)
    )
    return EvaluationReport(columns=tuple(scores), notes=notes)


def _as_float(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        nanos = values.to_numpy(dtype="datetime64[ns]").astype("int64")
        return np.where(values.isna().to_numpy(), np.nan, nanos / 1e9)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _score_numeric(
    column: str, kind: ColumnKind, truth: pd.Series, imputed: pd.Series, hidden: np.ndarray
) -> ColumnScore:
    known = _as_float(truth)
    known = known[~np.isnan(known)]
    std = float(np.std(known))
    true = _as_float(truth)[hidden]
    pred = _as_float(imputed)[hidden]
    filled = np.isfinite(pred)
    # A cell left missing is a miss: scored as if filled with the mean of the known values.
    scored = np.where(filled, pred, float(np.mean(known)))
    errors = scored - true
    mae = float(np.mean(np.abs(errors)))
    rmse = float(np.sqrt(np.mean(errors**2)))
    scale = std if std > 0 else math.nan
    spread = wasserstein_1d(pred[filled], true[filled]) if filled.any() else math.nan
    return ColumnScore(
        column=column,
        kind=kind.value,
        hidden=int(hidden.sum()),
        left=int((~filled).sum()),
        nrmse=rmse / scale,
        nmae=mae / scale,
        mae=mae,
        wasserstein=spread / scale,
    )


#: Stands for "left missing" among predicted labels; never a real class.
_LEFT = object()


def _labels(values: pd.Series) -> list[Any]:
    """Comparable labels: 36 and 36.0 match, True and "True" match; missing becomes _LEFT."""
    out: list[Any] = []
    for value in values.to_numpy(dtype=object):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            out.append(_LEFT)
        elif isinstance(value, (bool, np.bool_)):
            out.append(str(bool(value)))
        elif isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value))
    return out


def _score_categorical(
    column: str, truth: pd.Series, imputed: pd.Series, hidden: np.ndarray
) -> ColumnScore:
    true = _labels(truth[hidden])
    pred = _labels(imputed[hidden])
    correct = sum(t == p for t, p in zip(true, pred, strict=True))
    return ColumnScore(
        column=column,
        kind=ColumnKind.CATEGORICAL.value,
        hidden=len(true),
        left=sum(p is _LEFT for p in pred),
        accuracy=correct / len(true),
        macro_f1=macro_f1(true, pred),
    )


def macro_f1(true: Sequence[Any], pred: Sequence[Any]) -> float:
    """Unweighted mean F1 over every class seen in ``true`` or ``pred``.

    A prediction of ``_LEFT`` (cell left missing) is wrong for its true class but is not a
    class of its own.
    """
    classes = {t for t in true} | {p for p in pred if p is not _LEFT}
    f1s = []
    for cls in classes:
        tp = sum(t == cls and p == cls for t, p in zip(true, pred, strict=True))
        fp = sum(t != cls and p == cls for t, p in zip(true, pred, strict=True))
        fn = sum(t == cls and p != cls for t, p in zip(true, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s)) if f1s else math.nan


def wasserstein_1d(a: np.ndarray, b: np.ndarray) -> float:
    """First Wasserstein distance between two 1-D samples (area between their CDFs)."""
    a = np.sort(np.asarray(a, dtype=float))
    b = np.sort(np.asarray(b, dtype=float))
    if not len(a) or not len(b):
        return math.nan
    points = np.concatenate([a, b])
    points.sort(kind="mergesort")
    widths = np.diff(points)
    cdf_a = np.searchsorted(a, points[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(b, points[:-1], side="right") / len(b)
    return float(np.sum(np.abs(cdf_a - cdf_b) * widths))


def evaluate(
    df: pd.DataFrame,
    imputer: ImputerLike,
    pattern: Pattern | str = "mcar",
    fraction: float = 0.2,
    seed: int = 0,
    columns: Sequence[str] | None = None,
    kinds: Mapping[str, ColumnKind] | None = None,
    method: str = "",
) -> EvaluationReport:
    """Mask ``df`` (see :func:`mask_cells`), run ``imputer`` on it, and score the hidden cells.

    ``imputer`` is a callable ``frame -> filled frame`` (a result with a ``.frame`` is
    unwrapped) or an object with ``fit_transform``, such as ``Imputer(config=...)``. The
    report's ``seconds`` is the imputer's wall time only.

    Example:
        >>> report = evaluate(df, Imputer(config=ImputerConfig(epochs=50)), "mar", 0.2, seed=1)
        >>> print(report.to_markdown())
    """
    kinds = dict(kinds) if kinds is not None else infer_kinds(df)
    masked, mask = mask_cells(df, pattern, fraction, seed, columns, kinds)
    run = imputer.fit_transform if hasattr(imputer, "fit_transform") else imputer
    started = time.perf_counter()
    output = run(masked)
    seconds = time.perf_counter() - started
    filled = getattr(output, "frame", output)
    if not isinstance(filled, pd.DataFrame):
        raise TypeError(
            f"evaluate: the imputer returned {type(filled).__name__}; expected a DataFrame "
            "or a result with a .frame"
        )
    return replace(
        score(df, filled, mask, kinds),
        pattern=pattern,
        fraction=fraction,
        seed=seed,
        seconds=seconds,
        method=method or _method_name(imputer),
    )


def _method_name(imputer: ImputerLike) -> str:
    return getattr(imputer, "__name__", type(imputer).__name__)


def _nanmean(values: Iterable[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def _markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub markdown table (no tabulate dependency); floats to 4 significant digits."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.4g}"
        return str(value)

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
