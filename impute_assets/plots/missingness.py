"""Where the gaps are: heatmaps of missing cells and before/after bars."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from impute_assets.plots.figure import png_figure

#: A raw frame is drawn in at most this many row bands (each band = share missing in its rows).
MAX_ROW_BANDS = 200


def missingness_heatmap(frame: pd.DataFrame, title: str = "Missing cells") -> bytes:
    """Heatmap of a frame's missing cells: columns across, rows (in bands) down."""
    if frame.shape[1] == 0:
        raise ValueError("missingness_heatmap needs a frame with at least one column")
    missing = frame.isna().to_numpy(dtype=float)
    bands = max(1, min(MAX_ROW_BANDS, len(missing)))
    if len(missing) == 0:
        shares = np.zeros((1, frame.shape[1]))
    else:
        shares = np.vstack([chunk.mean(axis=0) for chunk in np.array_split(missing, bands)])
    shares = pd.DataFrame(shares, columns=[str(c) for c in frame.columns])
    return _heatmap(shares, title=title, ylabel=f"rows ({len(frame)}, in {bands} bands)")


def null_share_heatmap(shares: pd.DataFrame, title: str = "Share of missing values") -> bytes:
    """Heatmap of precomputed null shares: a row per partition (or one row), a column per column.

    Use it with counts made in SQL, so the rows never reach Python.
    """
    if shares.empty:
        raise ValueError("null_share_heatmap needs at least one row and one column of shares")
    return _heatmap(shares.astype(float), title=title, ylabel=str(shares.index.name or ""))


def before_after_missingness(
    before: Mapping[str, int], after: Mapping[str, int], rows: int, title: str = "Missing values"
) -> bytes:
    """Bars of each column's missing share before and after imputation."""
    columns = list(before)
    if not columns:
        raise ValueError("before_after_missingness needs at least one column")
    denominator = max(rows, 1)
    positions = np.arange(len(columns))
    with png_figure(width=max(4.0, 0.6 * len(columns) + 2), height=3.5) as (_, axes, buffer):
        width = 0.4
        axes.bar(
            positions - width / 2, [before[c] / denominator for c in columns], width, label="before"
        )
        axes.bar(
            positions + width / 2,
            [after.get(c, 0) / denominator for c in columns],
            width,
            label="after",
        )
        axes.set_xticks(positions, columns, rotation=45, ha="right")
        axes.set_ylabel(f"share of {rows} rows")
        axes.set_title(title)
        axes.legend()
    return buffer.getvalue()


def _heatmap(shares: pd.DataFrame, title: str, ylabel: str) -> bytes:
    columns = [str(c) for c in shares.columns]
    height = min(6.0, 2.0 + 0.25 * min(len(shares), 16))
    with png_figure(width=max(4.0, 0.5 * len(columns) + 2), height=height) as (
        figure,
        axes,
        buffer,
    ):
        image = axes.imshow(
            shares.to_numpy(),
            aspect="auto",
            interpolation="nearest",
            cmap="Reds",
            vmin=0.0,
            vmax=1.0,
        )
        axes.set_xticks(np.arange(len(columns)), columns, rotation=45, ha="right")
        if len(shares) <= 24 and not isinstance(shares.index, pd.RangeIndex):
            axes.set_yticks(np.arange(len(shares)), [str(i) for i in shares.index])
        axes.set_ylabel(ylabel)
        axes.set_title(title)
        figure.colorbar(image, ax=axes, label="share missing")
    return buffer.getvalue()
