"""A table's declared row key: its columns exist and no two rows share a key, checked in SQL.

Audit rows name each filled cell by its row's key, so a key that repeats makes them untraceable.
The duplicates are counted in the warehouse (``GROUP BY key HAVING count(*) > 1``); only the
count and one example come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from impute_assets.warehouse.describe import TableDescription
from impute_assets.warehouse.errors import ColumnNotFound, WarehouseError


class KeyColumnNotFound(ColumnNotFound):
    """A column of the declared key is not in the table (a typo in ``key``)."""

    def __init__(
        self, *, url: str, schema: str | None, table: str, column: str, available: Sequence[str]
    ) -> None:
        WarehouseError.__init__(self, f"declared key column not found (table has "
                                      f"{list(available)})", url=url, schema=schema, table=table,
                                column=column)  # fmt: skip


class KeyNotUnique(WarehouseError):
    """Rows of the table share a value of its declared key."""

    def __init__(
        self,
        *,
        url: str,
        schema: str | None,
        table: str,
        key: Sequence[str],
        repeated: int,
        example: dict[str, Any],
        rows: int,
    ) -> None:
        super().__init__(
            f"key {list(key)} is not unique: {repeated} key value(s) occur on more than one row, "
            f"e.g. {example} on {rows} rows; declare the columns that identify a row",
            url=url,
            schema=schema,
            table=table,
        )
        self.key, self.repeated, self.example, self.rows = list(key), repeated, example, rows


class KeyHasNull(WarehouseError):
    """A key column holds NULL: that row cannot be named (nor keyed in the output table)."""

    def __init__(
        self,
        *,
        url: str,
        schema: str | None,
        table: str,
        key: Sequence[str],
        column: str,
        rows: int,
    ) -> None:
        super().__init__(
            f"{rows} row(s) have NULL in key column {column!r} of key {list(key)}; a key must "
            "name every row: declare columns that are never NULL as the key",
            url=url,
            schema=schema,
            table=table,
            column=column,
        )
        self.key, self.rows = list(key), rows


def check_key(conn: sa.Connection, desc: TableDescription, key: Sequence[str]) -> None:
    """Raise KeyColumnNotFound for a key column the table lacks, KeyHasNull for a NULL in a key
    column, KeyNotUnique for a repeated key."""
    if not key:
        return
    for name in key:
        if name not in desc.column_names:
            raise KeyColumnNotFound(url=desc.url, schema=desc.schema, table=desc.name, column=name,
                                    available=desc.column_names)  # fmt: skip
    table = desc.sa_table()
    columns = [table.c[name] for name in key]
    nulls = conn.execute(sa.select(*(sa.func.count() - sa.func.count(c) for c in columns))).one()
    for name, count in zip(key, nulls, strict=True):
        if count:
            raise KeyHasNull(
                url=desc.url,
                schema=desc.schema,
                table=desc.name,
                key=key,
                column=name,
                rows=int(count),
            )
    rows = sa.func.count().label("impute_assets_rows")
    groups = (
        sa.select(*columns, rows)
        .group_by(*columns)
        .having(sa.func.count() > 1)
        .subquery("repeated_keys")
    )
    first = conn.execute(
        sa.select(groups, sa.func.count().over()).order_by(groups.c[rows.name].desc()).limit(1)
    ).first()
    if first is not None:
        *values, count, repeated = first
        raise KeyNotUnique(
            url=desc.url,
            schema=desc.schema,
            table=desc.name,
            key=key,
            repeated=int(repeated),
            example=dict(zip(key, values, strict=True)),
            rows=int(count),
        )
