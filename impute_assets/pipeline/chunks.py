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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from impute_assets.core.imputer import Imputer
    from impute_assets.core.result import ColumnReport

#: Rows predicted at a time (bounds the memory of prediction; paces the progress lines).
CHUNK_ROWS = 100_000
#: Called after each chunk with (rows done, rows in all).
OnRows = Callable[[int, int], None]


@dataclass(frozen=True)
class Predicted:
    """The frame with its gaps filled, which cells were filled, their confidence, the cells,
    and per filled column the uncertainty of its fills (see :func:`merged_uncertainty`), and
    per column the cells left and why (summed over chunks)."""

    frame: pd.DataFrame
    imputed: pd.DataFrame
    confidence: pd.DataFrame
    cells: pd.DataFrame
    uncertainty: dict[str, dict[str, float | None]] = field(default_factory=dict)
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def unfilled(cls, source: pd.DataFrame) -> Predicted:
        """``source`` with nothing filled: a table with no column to impute (none has gaps, or
        none has an observed value to learn from) is published as it is."""
        from impute_assets.core.result import ImputationResult

        result = ImputationResult(
            source.copy(),
            pd.DataFrame(False, index=source.index, columns=source.columns),
            pd.DataFrame(float("nan"), index=source.index, columns=source.columns),
            report=[],
        )
        return cls(result.frame, result.imputed, result.confidence, result.cells())


def predict_in_chunks(
    imputer: Imputer,
    source: pd.DataFrame,
    context: pd.DataFrame | None,
    label: str,
    log: logging.Logger | Any,
    chunk_rows: int = CHUNK_ROWS,
    on_rows: OnRows | None = None,
) -> Predicted:
    """``imputer.impute`` over ``source`` in chunks of ``chunk_rows`` (one chunk when the
    imputer orders rows into sequences), logging ``label: rows filled N of M`` per chunk."""
    total = len(source)
    size = total if imputer.sequence_ is not None or total == 0 else chunk_rows
    starts = range(0, max(total, 1), max(size, 1))
    parts = []
    for number, start in enumerate(starts, 1):
        result = imputer.impute(source.iloc[start : start + size], context=context)
        parts.append(
            (result.frame, result.imputed, result.confidence, result.cells(), result.report)
        )
        done = min(start + size, total)
        cells = int(result.imputed.to_numpy().sum())
        log.info(
            f"{label}: rows filled {done:,} of {total:,} (chunk {number}/{len(starts)}, "
            f"{cells:,} cells)"
        )
        if on_rows is not None:
            on_rows(done, total)
    frames, imputed, confidence, cells, reports = (list(p) for p in zip(*parts, strict=True))
    return Predicted(
        pd.concat(frames),
        pd.concat(imputed),
        pd.concat(confidence),
        pd.concat(cells, ignore_index=True),
        merged_uncertainty(reports),
        merged_reasons(reports),
    )


#: The per-cell means of a column's report merged over chunks, weighted by cells filled.
_MEANS = ("mean_width", "width_to_spread", "mean_set_size")


def merged_uncertainty(reports: list[list[ColumnReport]]) -> dict[str, dict[str, float | None]]:
    """Per column, the chunks' uncertainty fields as one: coverage and held-out coverage
    (the model's, the same in every chunk) and the means over every filled cell."""
    merged: dict[str, dict[str, float | None]] = {}
    sums: dict[tuple[str, str], list[float]] = {}  # (column, field) -> [weighted sum, weight]
    for report in (r for chunk in reports for r in chunk):
        if report.coverage is None:
            continue
        merged[report.column] = {
            "coverage": report.coverage,
            "holdout_coverage": report.holdout_coverage,
        }
        for name in _MEANS:
            value = getattr(report, name)
            total = sums.setdefault((report.column, name), [0.0, 0.0])
            if value is not None and report.filled:
                total[0] += value * report.filled
                total[1] += report.filled
    for (column, name), (total, weight) in sums.items():
        merged[column][name] = total / weight if weight else None
    return merged


def merged_reasons(reports: list[list[ColumnReport]]) -> dict[str, dict[str, int]]:
    """Per column, why its cells were left (reason -> cells), summed over the chunks."""
    merged: dict[str, dict[str, int]] = {}
    for report in (r for chunk in reports for r in chunk):
        counts = merged.setdefault(report.column, {})
        for why, count in report.reasons.items():
            counts[why] = counts.get(why, 0) + count
    return merged
