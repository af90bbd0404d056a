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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from impute_assets.core.imputer import Imputer

#: Rows predicted at a time (bounds the memory of prediction; paces the progress lines).
CHUNK_ROWS = 100_000
#: Called after each chunk with (rows done, rows in all).
OnRows = Callable[[int, int], None]


@dataclass(frozen=True)
class Predicted:
    """The frame with its gaps filled, which cells were filled, their confidence, the cells."""

    frame: pd.DataFrame
    imputed: pd.DataFrame
    confidence: pd.DataFrame
    cells: pd.DataFrame

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
        result = imputer.impute(source.iloc[start:start + size], context=context)
        parts.append((result.frame, result.imputed, result.confidence, result.cells()))
        done = min(start + size, total)
        cells = int(result.imputed.to_numpy().sum())
        log.info(f"{label}: rows filled {done:,} of {total:,} (chunk {number}/{len(starts)}, "
                 f"{cells:,} cells)")
        if on_rows is not None:
            on_rows(done, total)
    frames, imputed, confidence, cells = (list(p) for p in zip(*parts, strict=True))
    return Predicted(pd.concat(frames), pd.concat(imputed), pd.concat(confidence),
                     pd.concat(cells, ignore_index=True))
