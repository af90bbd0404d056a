"""Scores on hidden cells only, computed with scikit-learn and scipy.

nRMSE and nMAE (divided by the standard deviation of the column's known values), MAE in the
column's units, the 1-D Wasserstein distance between the imputed and the true hidden values
(also divided by that standard deviation), and for categoricals accuracy and macro-F1. A hidden
cell the imputer left missing is a miss: a wrong class for categoricals (not a class of its
own), the mean of the column's known values for numerics; the report counts such cells in
``left`` and leaves them out of the Wasserstein distance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import wasserstein_distance
from sklearn import metrics

from impute_assets.core.datetimes import epoch_seconds
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.markdown import markdown_table

#: Kinds scored as numbers (datetimes as seconds since the epoch).
_NUMERIC_KINDS = frozenset({ColumnKind.NUMERIC, ColumnKind.DATETIME})


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
            (
                f"Evaluation{f' of {self.method}' if self.method else ''}: {self.pattern} masking "
                f"of {self.fraction:.0%} of observed cells (seed {self.seed}); {self.hidden} cells "
                f"hidden, {self.left} left missing by the imputer (scored as misses); "
                f"imputation took {self.seconds:.2f} s."
            ),
            (
                "nRMSE/nMAE/Wasserstein are divided by the std of the column's known values; "
                "accuracy and macro-F1 are over hidden categorical cells."
            ),
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
        return epoch_seconds(values).to_numpy()
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
    mae = float(metrics.mean_absolute_error(true, scored))
    rmse = float(metrics.root_mean_squared_error(true, scored))
    scale = std if std > 0 else math.nan
    spread = wasserstein_distance(pred[filled], true[filled]) if filled.any() else math.nan
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
    return ColumnScore(
        column=column,
        kind=ColumnKind.CATEGORICAL.value,
        hidden=len(true),
        left=sum(p is _LEFT for p in pred),
        accuracy=float(metrics.accuracy_score([str(t) for t in true], [str(p) for p in pred])),
        macro_f1=macro_f1(true, pred),
    )


def macro_f1(true: Sequence[Any], pred: Sequence[Any]) -> float:
    """Unweighted mean F1 over every class seen in ``true`` or ``pred``; a ``_LEFT``
    prediction (cell left missing) is wrong for its true class but not a class of its own."""
    classes = sorted(set(true) | {p for p in pred if p is not _LEFT}, key=str)
    if not classes:
        return math.nan
    codes = {c: i for i, c in enumerate(classes)}
    return float(
        metrics.f1_score(
            [codes[t] for t in true],
            [codes.get(p, -1) for p in pred],
            labels=list(range(len(classes))),
            average="macro",
            zero_division=0,
        )
    )


def _nanmean(values: Iterable[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def _markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub markdown table; floats to 4 significant digits, NaN as an empty cell."""
    cells = frame.astype(object).where(frame.notna(), None)
    return markdown_table(list(frame.columns), cells.itertuples(index=False))
