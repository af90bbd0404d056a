"""Tables as text: the one way a summary cell becomes text, and the one markdown table.

Dagster's metadata tables, the validation report and the evaluation report are all rendered by
:func:`markdown_table`; the CLI's rich tables format their cells with :func:`cell_text` too, so
every surface shows a value the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def cell_text(value: Any, missing: str = "") -> str:
    """A summary cell as text: floats to 4 significant digits, None as ``missing``."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return missing if value is None else str(value)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub markdown table: one line per row, each cell :func:`cell_text` with ``|``
    escaped (a pipe in a value would otherwise split its cell).

    Example:
        >>> print(markdown_table(["name", "score"], [["a|b", 0.123456], ["c", None]]))
        | name | score |
        |---|---|
        | a\\|b | 0.1235 |
        | c |  |
    """
    lines = [_row(header), "|" + "---|" * len(header)]
    lines += [_row(cell_text(v) for v in row) for row in rows]
    return "\n".join(lines)


def records_table(rows: Iterable[Mapping[str, Any]]) -> str:
    """:func:`markdown_table` of row dicts (all rows share the first row's keys); ``(none)``
    when there are no rows."""
    rows = list(rows)
    if not rows:
        return "(none)"
    header = list(rows[0])
    return markdown_table(header, ([r.get(h) for h in header] for r in rows))


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
