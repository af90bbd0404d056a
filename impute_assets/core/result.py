"""What an imputation returns: the filled frame, which cells were filled, how sure, and why not."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Reasons a missing cell stays missing (every such cell is counted under one of them).
BELOW_THRESHOLD = "confidence below threshold"
NO_MODEL = "no model for this column (it had no missing values when the imputer was fitted)"
NO_OBSERVED = "no observed values to learn from"
ID_COLUMN = "id-like column (unique per row): never imputed"
FREE_TEXT = "free text is not imputed"
UNSUPPORTED = "unsupported column type"
EXCLUDED = "excluded by configuration"
SEQUENCE_KEY = "order_by/group_by key: it places rows in their sequence, never imputed"


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
        """One row per filled cell: row label, column, value (as text), confidence, model version."""
        rows, cols = np.nonzero(self.imputed.to_numpy())
        columns = self.frame.columns
        values = np.empty(len(rows), dtype=object)
        for c in np.unique(cols):  # a column at a time: one gather, not one lookup per cell
            at = cols == c
            picked = self.frame.iloc[rows[at], c].to_numpy(dtype=object)
            values[at] = [str(v) for v in picked]
        return pd.DataFrame({
            "row": self.frame.index[rows],
            "column": columns[cols],
            "value": values,
            "confidence": self.confidence.to_numpy()[rows, cols].astype(float),
            "model_version": np.array([self.model_versions.get(c) for c in columns],
                                      dtype=object)[cols],
        })
