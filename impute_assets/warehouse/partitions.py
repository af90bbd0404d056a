"""Partitions of a table: the distinct values of a partition column, and which have gaps."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence

import sqlalchemy as sa

from impute_assets.warehouse.describe import ColumnDescription, TableDescription
from impute_assets.warehouse.errors import WarehouseError, translated
from impute_assets.warehouse.profile import MissingProfile, partition_label


def list_partitions(conn: sa.Connection, desc: TableDescription, column: str) -> list[str]:
    """Distinct non-NULL values of ``column``, sorted, as text (dates in ISO form)."""
    col = desc.sa_table().c[desc.column(column).name]
    query = sa.select(col).where(col.is_not(None)).distinct().order_by(col)
    with translated(desc.url, desc.schema, desc.name):
        return [partition_label(v) for v in conn.execute(query).scalars()]


def collation_twins(
    conn: sa.Connection, desc: TableDescription, column: str, shown: int = 5
) -> list[list[str]]:
    """Groups (at most ``shown``) of distinct values of ``column`` its collation compares
    equal (MariaDB's default: ``Key``/``key``, ``trail``/``trail ``): a partition read by one
    value would read the others' rows too."""
    col = desc.sa_table().c[desc.column(column).name]
    raw = sa.cast(col, sa.LargeBinary)
    merged = (
        sa.select(sa.func.min(col))
        .group_by(col)
        .having(sa.func.count(sa.distinct(raw)) > 1)
        .limit(shown)
    )
    with translated(desc.url, desc.schema, desc.name):
        return [
            sorted({r[0] for r in conn.execute(sa.select(col, raw).where(col == value).distinct())})
            for value in conn.execute(merged).scalars()
        ]


def partitions_with_missing(
    profile: MissingProfile, columns: Sequence[str] | None = None
) -> list[str]:
    """Partition values (sorted) where any of ``columns`` (default: all) has a missing cell."""
    return sorted(
        key
        for key, part in profile.partitions.items()
        if key is not None and any(part.columns[c].missing for c in (columns or part.columns))
    )


def partition_value(column: ColumnDescription, value: object, desc: TableDescription) -> object:
    """Turn a partition value given as text into the column's Python type, for a typed bind."""
    if not isinstance(value, str):
        return value
    python_type = _python_type(column.type)
    try:
        if python_type is dt.datetime:
            return dt.datetime.fromisoformat(value)
        if python_type is dt.date:
            return dt.date.fromisoformat(value)
        if python_type in (int, float, decimal.Decimal):
            return python_type(value)
    except (ValueError, decimal.InvalidOperation) as exc:
        raise WarehouseError(
            f"partition value {value!r} is not a {column.sql_type}",
            url=desc.url,
            schema=desc.schema,
            table=desc.name,
            column=column.name,
        ) from exc
    return value


def _python_type(sql_type: sa.types.TypeEngine) -> type | None:
    try:
        return sql_type.python_type
    except NotImplementedError:
        return None
