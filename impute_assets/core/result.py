"""What an imputation returns: the filled frame, which cells were filled, how sure, and why not."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from impute_assets.core.uncertainty.label_sets import LabelSets

if TYPE_CHECKING:
    from impute_assets.core.uncertainty.conformal import CellUncertainty

#: Reasons a missing cell stays missing (every such cell is counted under one of them).
BELOW_THRESHOLD = "confidence below threshold"
NO_MODEL = "no model for this column (it had no missing values when the imputer was fitted)"
NO_OBSERVED = "no observed values to learn from"
ID_COLUMN = "id-like column (unique per row): never imputed"
FREE_TEXT = "free text is not imputed"
UNSUPPORTED = "unsupported column type"
EXCLUDED = "excluded by configuration"
SEQUENCE_KEY = "order_by/group_by key: it places rows in their sequence, never imputed"
#: Reasons the gates leave a whole column (see core.gating and ImputerConfig.fill).
MOSTLY_MISSING = "missing in most rows: the observed rows rarely represent the missing ones"
FREE_TEXT_LIKE = (
    "free-text-like strings (mostly distinct, or long and rarely shared): never invented"
)
NO_GAIN = "model does not beat mean/mode held-out by more than the score's spread"
NO_HELD_OUT_GAIN = "too few observed values to show the model beats mean/mode held-out"
ONE_VALUE = "one value in every observed row: a gap may be the exception, so it is not assumed"
BEYOND_PRECISION = (
    "values too far apart for single-precision training (cap or log-transform the column "
    "to impute it)"
)


@dataclass
class ColumnReport:
    """One column's outcome: how it was filled, how well that model did held-out, what is left."""

    column: str
    kind: str
    model: str | None
    metric: str | None
    holdout_score: float | None
    baseline_score: float | None
    missing: int
    filled: int
    left: int
    reasons: dict[str, int] = field(default_factory=dict)
    model_version: str | None = None
    mean_confidence: float | None = None
    #: Permutation importance of each input on the held-out split (held-out score lost when
    #: its values are shuffled: accuracy points, or nRMSE gained), largest first.
    importance: dict[str, float] = field(default_factory=dict)
    #: The nominal coverage of the fills' intervals / prediction sets, the coverage they reach
    #: on held-out cells (see :func:`impute_assets.core.uncertainty.conformal.holdout_coverage`), the mean
    #: interval width (column units; seconds for datetimes) and that width over the column's
    #: own 90% spread (its 5th to 95th percentile), or the mean prediction-set size.
    coverage: float | None = None
    holdout_coverage: float | None = None
    mean_width: float | None = None
    width_to_spread: float | None = None
    mean_set_size: float | None = None
    #: How much ``holdout_score`` swings between held-out splits (its standard deviation over
    #: ``holdout_splits`` repeated splits, or its standard error over one split's cells).
    holdout_spread: float | None = None
    holdout_splits: int = 0
    #: How far the model beats mean/mode held-out (score units, > 0 is better), and its spread.
    baseline_gain: float | None = None
    baseline_gain_spread: float | None = None

    @property
    def improvement(self) -> float | None:
        """How much the chosen model beats mean/mode held-out (ratio; > 1 is better)."""
        if self.holdout_score is None or self.baseline_score is None:
            return None
        if self.metric == "nrmse":
            return self.baseline_score / self.holdout_score if self.holdout_score else None
        return self.holdout_score / self.baseline_score if self.baseline_score else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "improvement": self.improvement}


@dataclass
class ImputationResult:
    """The filled frame and where its fills came from."""

    frame: pd.DataFrame
    imputed: pd.DataFrame  # bool, True where a cell was filled
    confidence: pd.DataFrame  # float, NaN where a cell was not filled
    report: list[ColumnReport]
    model_versions: dict[str, str] = field(default_factory=dict)
    #: Per filled column, each filled cell's interval or prediction set (see :meth:`cells`).
    uncertainty: dict[str, CellUncertainty] = field(default_factory=dict)
    #: ``impute(frame, draws=m)``: m completed frames drawn from the fills' predictive
    #: distributions (observed cells identical in each), for multiple imputation.
    draws: list[pd.DataFrame] = field(default_factory=list)

    @property
    def filled(self) -> int:
        return int(self.imputed.to_numpy().sum())

    @property
    def left(self) -> int:
        return sum(r.left for r in self.report)

    def report_frame(self) -> pd.DataFrame:
        """The per-column report as a table."""
        return pd.DataFrame([r.to_dict() for r in self.report])

    def cells(self) -> pd.DataFrame:
        """One row per filled cell: row label, column, value (as text), confidence, model version,
        and its interval (``lower``/``upper``, as text) or ``prediction_set`` (a tuple of labels,
        most probable first) at the coverage."""
        return self.filled_cells().to_frame()

    def filled_cells(self) -> FilledCells:
        """:meth:`cells` with the prediction sets kept as label codes (what the audit table
        is made of: no tuple per cell)."""
        rows, cols = np.nonzero(self.imputed.to_numpy())
        columns = self.frame.columns
        values = np.empty(len(rows), dtype=object)
        for c in np.unique(cols):  # a column at a time: one gather, not one lookup per cell
            at = cols == c
            picked = self.frame.iloc[rows[at], c].to_numpy(dtype=object)
            values[at] = [str(v) for v in picked]
        bounds, sets = self._bounds(rows, cols)
        frame = pd.DataFrame(
            {
                "row": self.frame.index[rows],
                "column": columns[cols],
                "value": values,
                "confidence": self.confidence.to_numpy()[rows, cols].astype(float),
                "model_version": np.array(
                    [self.model_versions.get(c) for c in columns], dtype=object
                )[cols],
                **bounds,
            }
        )
        return FilledCells(frame, sets)

    def _bounds(
        self, rows: np.ndarray, cols: np.ndarray
    ) -> tuple[dict[str, np.ndarray], LabelSets]:
        """Each filled cell's interval ends (as text, like ``value``; ``None`` where it has
        none) and prediction sets, in the order of ``rows``/``cols``."""
        out = {name: np.full(len(rows), None, dtype=object) for name in ("lower", "upper")}
        sets = []
        for c in np.unique(cols):
            cells = self.uncertainty.get(self.frame.columns[c])
            if cells is None:
                continue
            at = np.flatnonzero(cols == c)
            where = pd.Index(cells.rows).get_indexer(rows[at])
            found = where >= 0
            at, where = at[found], where[found]
            if cells.sets is not None:
                sets.append((at, cells.sets.take(where)))
            if cells.lower is not None:
                for name, ends in (("lower", cells.lower), ("upper", cells.upper)):
                    out[name][at] = [str(v) for v in ends[where]]
        return out, LabelSets.placed(len(rows), sets)


@dataclass(frozen=True)
class FilledCells:
    """The filled cells (:meth:`ImputationResult.cells` but its ``prediction_set`` column) and
    their prediction sets as label codes, one per row of ``frame``, in its order."""

    frame: pd.DataFrame
    sets: LabelSets

    def where(self, keep: np.ndarray) -> FilledCells:
        """The cells where ``keep`` (booleans, one per cell) is True."""
        positions = np.flatnonzero(keep)
        return FilledCells(self.frame.iloc[positions], self.sets.take(positions))

    def to_frame(self) -> pd.DataFrame:
        """The cells with their ``prediction_set`` as a tuple of labels (None: no set)."""
        sets = self.sets.tuples()
        return self.frame.assign(prediction_set=np.fromiter(sets, dtype=object, count=len(sets)))
