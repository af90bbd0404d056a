"""Predict a large frame's gaps a chunk of rows at a time, reporting progress per chunk.

Rows of a table without ``order_by`` are filled independently of each other, so predicting
``chunk_rows`` rows at a time fills the same cells as one pass (values equal up to the float
rounding of a smaller matmul batch) while the models' feature
matrices stay bounded by the chunk, not the table. Rows that form sequences see their
neighbours, so such frames go through in one chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from impute_assets.core.result import FilledCells
from impute_assets.warehouse.audit import AuditRows

if TYPE_CHECKING:
    from impute_assets.core.imputer import Imputer
    from impute_assets.core.result import ColumnReport

#: Rows predicted at a time (bounds the memory of prediction; paces the progress lines).
CHUNK_ROWS = 100_000
#: Called after each chunk with (rows done, rows in all).
OnRows = Callable[[int, int], None]
#: Makes the audit rows of a chunk's filled cells: (the chunk's rows of the source, core's
#: ``filled_cells()`` of the chunk, which of its cells were filled).
AuditOf = Callable[[pd.DataFrame, FilledCells, pd.DataFrame], AuditRows]


@dataclass(frozen=True)
class Predicted:
    """The frame with its gaps filled, which cells were filled, the confidence of the
    modelled columns' cells, the cells (core's ``cells()``; or, made a chunk at a time, their
    audit rows), and per column core's report of it merged over the chunks (see
    :func:`merged_reports`)."""

    frame: pd.DataFrame
    imputed: pd.DataFrame
    confidence: pd.DataFrame
    cells: pd.DataFrame | AuditRows
    reports: dict[str, ColumnReport] = field(default_factory=dict)

    @classmethod
    def unfilled(cls, source: pd.DataFrame) -> Predicted:
        """``source`` with nothing filled (and no audit rows): a table with no column to
        impute (none has gaps, or none has an observed value to learn from) is published as
        it is."""
        return cls(
            source.copy(),
            pd.DataFrame(False, index=source.index, columns=source.columns),
            pd.DataFrame(float("nan"), index=source.index, columns=source.columns),
            AuditRows(),
        )


def predict_in_chunks(
    imputer: Imputer,
    source: pd.DataFrame,
    context: pd.DataFrame | None,
    label: str,
    log: logging.Logger | Any,
    chunk_rows: int = CHUNK_ROWS,
    on_rows: OnRows | None = None,
    audit: AuditOf | None = None,
) -> Predicted:
    """``imputer.impute`` over ``source`` in chunks of ``chunk_rows`` (one chunk when the
    imputer orders rows into sequences), logging ``label: rows filled N of M`` per chunk.
    With ``audit``, each chunk's cells are kept as their audit rows, made as the chunk is
    predicted: its cells' text never outlives the chunk, and their prediction sets stay label
    codes.

    Of each chunk only the modelled columns' values and confidences are kept: the filled frame
    is ``source`` with those columns replaced (its other columns are shared, not copied), so
    1M rows of a 21-column table hold no second copy of the columns nothing fills."""
    total = len(source)
    size = total if imputer.sequence_ is not None or total == 0 else chunk_rows
    starts = range(0, max(total, 1), max(size, 1))
    modelled = [c for c in source.columns if c in imputer.column_models_]
    parts = []
    for number, start in enumerate(starts, 1):
        rows = source.iloc[start : start + size]
        result = imputer.impute(rows, context=context)
        parts.append(
            (
                result.frame[modelled],
                result.imputed,
                result.confidence[modelled],
                result.cells()
                if audit is None
                else audit(rows, result.filled_cells(), result.imputed),
                result.report,
            )
        )
        done = min(start + size, total)
        log.info(
            f"{label}: rows filled {done:,} of {total:,} (chunk {number}/{len(starts)}, "
            f"{int(result.imputed.to_numpy().sum()):,} cells)"
        )
        if on_rows is not None:
            on_rows(done, total)
    frames, imputed, confidence, kept, reports = (list(p) for p in zip(*parts, strict=True))
    filled = source.copy(deep=False)
    for column, values in pd.concat(frames).items():
        filled[column] = values
    return Predicted(
        filled,
        pd.concat(imputed),
        pd.concat(confidence),
        pd.concat(kept, ignore_index=True) if audit is None else AuditRows.concat(kept),
        merged_reports(reports),
    )


#: The per-cell means of a column's report, merged over chunks weighted by cells filled
#: (the interval / set means only over chunks whose fills have intervals or sets).
_MEANS = ("mean_confidence", "mean_width", "width_to_spread", "mean_set_size")


def merged_reports(reports: list[list[ColumnReport]]) -> dict[str, ColumnReport]:
    """Per column, the chunks' reports as one: cells missing, filled and left, and why, summed;
    coverage and held-out coverage (the model's, the same in every chunk; None when no chunk's
    fills have intervals or sets) and the means over every filled cell. The rest (the model,
    its held-out scores) is the same in every chunk."""
    by_column: dict[str, list[ColumnReport]] = {}
    for report in (r for chunk in reports for r in chunk):
        by_column.setdefault(report.column, []).append(report)
    return {column: _merged(parts) for column, parts in by_column.items()}


def _merged(parts: list[ColumnReport]) -> ColumnReport:
    """One column's chunk reports as one (see :func:`merged_reports`)."""
    reasons: dict[str, int] = {}
    for part in parts:
        for why, count in part.reasons.items():
            reasons[why] = reasons.get(why, 0) + count
    covered = [p for p in parts if p.coverage is not None]
    last = covered[-1] if covered else None

    def mean(name: str) -> float | None:
        among = parts if name == "mean_confidence" else covered
        weighted = [
            (v, p.filled) for p in among if (v := getattr(p, name)) is not None and p.filled
        ]
        weight = sum(w for _, w in weighted)
        return sum(v * w for v, w in weighted) / weight if weight else None

    return replace(
        parts[0],
        missing=sum(p.missing for p in parts),
        filled=sum(p.filled for p in parts),
        left=sum(p.left for p in parts),
        reasons=reasons,
        coverage=last.coverage if last else None,
        holdout_coverage=last.holdout_coverage if last else None,
        **{name: mean(name) for name in _MEANS},
    )
