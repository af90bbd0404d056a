"""A headless matplotlib figure that renders to PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Figures are small: they are shown inline in the Dagster UI's markdown.
DPI = 80


@contextmanager
def png_figure(width: float = 6.0, height: float = 3.5) -> Iterator[tuple[Any, Any, io.BytesIO]]:
    """Yield ``(figure, axes, buffer)``; on exit the figure is saved into ``buffer`` as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # A bare Figure on the Agg canvas (not pyplot): no global backend switch, no GUI, no state
    # kept between renders.
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    buffer = io.BytesIO()
    yield figure, axes, buffer
    figure.tight_layout()
    figure.savefig(buffer, format="png")
