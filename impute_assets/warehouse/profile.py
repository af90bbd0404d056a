"""Count missing values in the warehouse: one aggregate query per table, nothing pulled to Python.

Missing means NULL, plus NaN in float columns (engines that store NaN), plus, when asked, the
empty string in text columns. Grouped by a partition column, the same query returns one row per
partition value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from impute_assets.warehouse.describe import TableDescription
from impute_assets.warehouse.dialects import Dialect
from impute_assets.warehouse.errors import translated


@dataclass(frozen=True)
class ColumnMissing:
    """Missing cells of one column, by cause."""

    nulls: int
    nans: int = 0
    empty: int = 0

    @property
    def missing(self) -> int:
        return self.nulls + self.nans + self.empty

    def __add__(self, other: ColumnMissing) -> ColumnMissing:
        return ColumnMissing(
            self.nulls + other.nulls, self.nans + other.nans, self.empty + other.empty
        )


@dataclass(frozen=True)
class MissingProfile:
    """Rows and per-column missing counts of a table (or of one partition of it)."""

    table: str
    schema: str | None
    rows: int
    columns: dict[str, ColumnMissing]
    partition_column: str | None = None
    #: Per partition value (``str``; None for rows whose partition value is NULL).
    partitions: dict[str | None, MissingProfile] = field(default_factory=dict)

    @property
    def missing(self) -> dict[str, int]:
        return {name: c.missing for name, c in self.columns.items()}

    @property
    def incomplete_columns(self) -> list[str]:
        return [name for name, c in self.columns.items() if c.missing]

    def to_frame(self) -> pd.DataFrame:
        """One row per (partition, column): rows, nulls, nans, empty, missing."""
        parts = self.partitions.items() if self.partitions else [(None, self)]
        return pd.DataFrame(
            [
                {
                    "partition": key,
                    "column": name,
                    "rows": part.rows,
                    "nulls": c.nulls,
                    "nans": c.nans,
                    "empty": c.empty,
                    "missing": c.missing,
                }
                for key, part in parts
                for name, c in part.columns.items()
            ]
        )


#: Literal (not bound) constants keep the query free of parameters: engines plan it as written.
_ONE = sa.literal_column("1")


def partition_label(value: object) -> str | None:
    """How a partition value is named in Python: ISO text for dates, ``str`` otherwise."""
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def profile_query(
    desc: TableDescription,
    dialect: Dialect,
    columns: Sequence[str] | None,
    partition_column: str | None,
    empty_strings: bool,
) -> tuple[sa.Select, list]:
    """The single aggregate query, and per column the labels of its null/NaN/empty counts.

    Labels are positional (``c0_nulls``), never derived from column names.
    """
    table = desc.sa_table()
    selected: list[sa.ColumnElement] = [sa.func.count().label("rows")]
    labels = []
    for i, column in enumerate(desc.select(columns)):
        col = table.c[column.name]
        selected.append((sa.func.count() - sa.func.count(col)).label(f"c{i}_nulls"))
        entry = [column.name, f"c{i}_nulls", None, None]
        nan = dialect.is_nan(col) if isinstance(column.type, sa.Float) else None
        if nan is not None:
            selected.append(sa.func.count(sa.case((nan, _ONE))).label(f"c{i}_nans"))
            entry[2] = f"c{i}_nans"
        if empty_strings and isinstance(column.type, sa.String):
            is_empty = col == sa.literal_column("''")
            selected.append(sa.func.count(sa.case((is_empty, _ONE))).label(f"c{i}_empty"))
            entry[3] = f"c{i}_empty"
        labels.append(entry)
    query = sa.select(*selected).select_from(table)
    if partition_column is not None:
        part = table.c[desc.column(partition_column).name]
        query = query.add_columns(part.label("partition")).group_by(part)
    return query, labels


def profile_table(
    conn: sa.Connection,
    dialect: Dialect,
    desc: TableDescription,
    columns: Sequence[str] | None = None,
    partition_column: str | None = None,
    empty_strings: bool = False,
) -> MissingProfile:
    """Run the aggregate query and shape its rows into a MissingProfile."""
    query, labels = profile_query(desc, dialect, columns, partition_column, empty_strings)
    with translated(desc.url, desc.schema, desc.name):
        rows = conn.execute(query).mappings().all()

    def counts(row: Mapping) -> dict[str, ColumnMissing]:
        return {
            name: ColumnMissing(
                int(row[nulls] or 0),
                int(row[nans] or 0) if nans else 0,
                int(row[empty] or 0) if empty else 0,
            )
            for name, nulls, nans, empty in labels
        }

    def make(rows_: int, cols: dict[str, ColumnMissing], **extra) -> MissingProfile:
        return MissingProfile(desc.name, desc.schema, rows_, cols, **extra)

    if partition_column is None:
        return make(int(rows[0]["rows"]), counts(rows[0]))
    partitions = {partition_label(r["partition"]): make(int(r["rows"]), counts(r)) for r in rows}
    totals = {name: ColumnMissing(0) for name, *_ in labels}
    for part in partitions.values():
        totals = {name: totals[name] + part.columns[name] for name in totals}
    return make(
        sum(p.rows for p in partitions.values()),
        totals,
        partition_column=partition_column,
        partitions=partitions,
    )
