"""The plain, frozen records each pipeline step returns.

They are the single source of the numbers a run reports: the Dagster layer turns them into
events and metadata, the CLI into its summary, Airflow into XComs. No orchestrator here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:
    from impute_assets.core.result import ColumnReport
    from impute_assets.quality import ValidationResult
    from impute_assets.store import ReuseDecision, StoredModel
    from impute_assets.warehouse.publish import PublishResult


@dataclass(frozen=True)
class MissingCounts:
    """What detection found: rows and missing cells per watched column, counted in SQL.

    ``by_partition`` maps each partition value to each column's share of missing cells (empty
    when the table was profiled as a whole).
    """

    table: str
    rows: int
    nulls: dict[str, int]
    by_partition: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Watched columns of a type the engine cannot impute: column -> its SQL type.
    unsupported: dict[str, str] = field(default_factory=dict)

    @property
    def missing_cells(self) -> int:
        """Missing cells over every watched column."""
        return sum(self.nulls.values())

    def share(self, column: str) -> float:
        """The share of ``column``'s rows that are missing."""
        return self.nulls[column] / max(self.rows, 1)

    @property
    def incomplete(self) -> list[str]:
        """The watched columns with at least one missing cell."""
        return [c for c, n in self.nulls.items() if n]

    @property
    def empty(self) -> list[str]:
        """The watched columns without a single observed value: nothing to learn them from."""
        return [c for c, n in self.nulls.items() if self.rows and n >= self.rows]


@dataclass(frozen=True)
class ModelRecord:
    """One column's model after train-or-reuse: the decision, why, and the model now in use."""

    column: str
    decision: Literal["train", "reuse"]
    reason: str
    fingerprint: str
    inputs: tuple[str, ...]
    version: str | None
    #: The version in use before this step (None: there was none).
    previous_version: str | None
    path: str | None = None
    model: str | None = None
    holdout_metric: str = ""
    holdout_score: float | None = None
    baseline_score: float | None = None
    holdout_spread: float | None = None
    holdout_splits: int = 0
    baseline_gain: float | None = None
    baseline_gain_spread: float | None = None
    training_rows: int = 0
    epochs: int = 0
    device: str = ""
    train_seconds: float | None = None
    drift: dict[str, float] = field(default_factory=dict)
    #: Each input's permutation importance on the held-out split (see core.explanations).
    importance: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when the column is now filled by a different model version than before."""
        return self.version != self.previous_version

    @classmethod
    def of(
        cls,
        column: str,
        decision: ReuseDecision,
        stored: StoredModel | None,
        fingerprint: str,
        inputs: list[str],
        previous: StoredModel | None,
    ) -> ModelRecord:
        """The record of a decision and the stored model it left in use (None: nothing learnt)."""
        info = stored.info if stored else {}
        return cls(
            column=column,
            decision="reuse" if decision.reuse else "train",
            reason=decision.reason,
            fingerprint=fingerprint,
            inputs=tuple(inputs),
            version=stored.version if stored else None,
            previous_version=previous.version if previous else None,
            path=stored.path if stored else None,
            **holdout_fields(info),
            training_rows=int(info.get("training_rows", 0)),
            epochs=int(info.get("epochs", 0)),
            device=str(info.get("device", "")),
            train_seconds=_float(info.get("seconds")),
            drift=dict(decision.drift or {}),
            importance={
                k: float(v) for k, v in info.get("holdout", {}).get("importance", {}).items()
            },
        )


@dataclass(frozen=True)
class TrainRecord:
    """The train-or-reuse step of one table: a record per column, and how long it took."""

    table: str
    models: tuple[ModelRecord, ...]
    seconds: float
    #: Columns asked for that get no model (free text, ids), and why: left as read.
    left: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, column: str) -> ModelRecord:
        for model in self.models:
            if model.column == column:
                return model
        raise KeyError(f"table {self.table!r}: no model record for column {column!r}")

    @property
    def trained(self) -> list[str]:
        """Columns whose model was trained in this step."""
        return [m.column for m in self.models if m.decision == "train"]


@dataclass(frozen=True)
class ColumnFill:
    """What filling did to one column: core's ``ColumnReport`` of it as the fill saw it (see
    :meth:`of`), with the columns the model read."""

    column: str
    missing: int
    filled: int
    left: int
    mean_confidence: float | None
    model_version: str
    #: The columns the model read (for column lineage).
    inputs: tuple[str, ...] = ()
    #: The model chosen for the column and its held-out score next to mean/mode's.
    model: str | None = None
    holdout_metric: str = ""
    holdout_score: float | None = None
    baseline_score: float | None = None
    #: The fills' interval / prediction-set coverage, nominal and reached on held-out cells,
    #: the mean interval width over the column's 90% spread, the mean set size (see
    #: ``impute_assets.core.result.ColumnReport``).
    coverage: float | None = None
    holdout_coverage: float | None = None
    width_to_spread: float | None = None
    mean_set_size: float | None = None
    #: The score's spread over held-out splits, how many, and the gain over mean/mode.
    holdout_spread: float | None = None
    holdout_splits: int = 0
    baseline_gain: float | None = None
    baseline_gain_spread: float | None = None
    #: Why the ``left`` cells were left: reason -> cells.
    reasons: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, report: ColumnReport, stored: StoredModel, **counted: Any) -> ColumnFill:
        """The fill of one column: the fields it shares with ``report`` (core's, merged over
        the chunks) from it; the model's version, inputs and held-out scores from ``stored``
        (the store's record of the model); and ``counted``: what the fill counted itself
        (``missing``, ``filled``, ``left``, ``mean_confidence``, ``reasons``: after the
        structural gaps were left)."""
        shared = {f.name for f in fields(cls)} & {f.name for f in fields(report)}
        from_report = {name: getattr(report, name) for name in shared}
        from_model = {
            "model_version": stored.version,
            "inputs": tuple(stored.info.get("inputs", [])),
            **holdout_fields(stored.info),
        }
        return cls(**{**from_report, **from_model, **counted})


@dataclass(frozen=True)
class ColumnLeft:
    """A column with gaps that no model fills, how many, and why (passed through as read)."""

    column: str
    left: int
    reason: str


@dataclass(frozen=True)
class FillRecord:
    """One fill-and-publish: per-column counts, the audit rows written, validation, publish.

    ``filled`` (the published rows) and ``imputed`` (which cells were filled) are kept for plots
    and content versions; everything a summary shows is a plain field.
    """

    table: str
    output_table: str
    audit_table: str
    partition: str | None
    rows: int
    columns: tuple[ColumnFill, ...]
    audit_rows: int
    validation: ValidationResult | None
    publish: PublishResult | None
    filled: pd.DataFrame = field(repr=False, compare=False)
    imputed: pd.DataFrame = field(repr=False, compare=False)
    #: Columns with gaps that were not imputed (unsupported type, nothing observed, skipped).
    left_columns: tuple[ColumnLeft, ...] = ()
    #: A dry run: nothing was published; the would-be fills (audit rows) went to
    #: ``preview_table`` (``preview_rows`` of them), the output and audit tables are untouched.
    dry_run: bool = False
    preview_table: str | None = None
    preview_rows: int = 0

    @property
    def cells_filled(self) -> int:
        """Cells filled over every column."""
        return sum(c.filled for c in self.columns)

    @property
    def cells_left(self) -> int:
        """Cells still missing: in imputed columns, and in the columns no model fills."""
        return sum(c.left for c in self.columns) + sum(c.left for c in self.left_columns)

    @property
    def left_reasons(self) -> dict[str, dict[str, int]]:
        """Per column with cells left: reason -> cells (columns no model fills included)."""
        out = {c.column: dict(c.reasons) for c in self.columns if c.left}
        return {**out, **{c.column: {c.reason: c.left} for c in self.left_columns}}

    @property
    def model_versions(self) -> dict[str, str]:
        """Column -> the model version that filled it."""
        return {c.column: c.model_version for c in self.columns}


@dataclass(frozen=True)
class TableRunRecord:
    """A whole table run (detect, train or reuse, fill and publish each partition)."""

    table: str
    missing: MissingCounts
    training: TrainRecord
    fills: tuple[FillRecord, ...]
    #: Rows of a time-window table no window covers (never filled), per partition value
    #: (``__null__`` for NULL): see :func:`~impute_assets.pipeline.partitions.uncovered_rows`.
    uncovered: Mapping[str, int] = field(default_factory=dict)

    @property
    def cells_filled(self) -> int:
        """Cells filled over every partition."""
        return sum(f.cells_filled for f in self.fills)


def holdout_fields(info: Mapping[str, Any]) -> dict[str, Any]:
    """The chosen model and its held-out score next to mean/mode's, from a stored model's info
    (the fields ``ModelRecord`` and ``ColumnFill`` share)."""
    holdout = info.get("holdout", {})
    return {
        "model": info.get("chosen"),
        "holdout_metric": str(holdout.get("metric", "")),
        "holdout_score": _float(holdout.get("score")),
        "baseline_score": _float(holdout.get("baseline_score")),
        "holdout_spread": _float(holdout.get("spread")),
        "holdout_splits": int(holdout.get("splits") or 0),
        "baseline_gain": _float(holdout.get("gain")),
        "baseline_gain_spread": _float(holdout.get("gain_spread")),
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
