"""Describe a table: its columns, their SQL types and kinds, nullability and primary key."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa

from impute_assets.core.kinds import ColumnKind
from impute_assets.warehouse.dialects import Dialect, arrow_type, column_kind
from impute_assets.warehouse.errors import (
    ColumnNotFound,
    PublishRefused,
    UnsupportedTypeWarning,
    translated,
)


@dataclass(frozen=True)
class ColumnDescription:
    """One column: name, declared SQL type (text), kind, nullability and SQLAlchemy type."""

    name: str
    sql_type: str
    kind: ColumnKind
    nullable: bool
    type: sa.types.TypeEngine

    @property
    def arrow_type(self) -> pa.DataType:
        """Arrow type of the column as read (unsupported types are read as text)."""
        return arrow_type(self.type) or pa.string()


@dataclass(frozen=True)
class TableDescription:
    """A table as the warehouse reports it."""

    url: str  # masked
    schema: str | None
    name: str
    columns: tuple[ColumnDescription, ...]
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def refused(self, message: str, column: str | None = None) -> PublishRefused:
        """A publish into this table refused, naming it (and ``column``)."""
        return PublishRefused(
            message, url=self.url, schema=self.schema, table=self.name, column=column
        )

    @property
    def kinds(self) -> dict[str, ColumnKind]:
        return {c.name: c.kind for c in self.columns}

    def column(self, name: str) -> ColumnDescription:
        """The named column, or ColumnNotFound naming the table and the columns it has."""
        for column in self.columns:
            if column.name == name:
                return column
        raise ColumnNotFound(
            url=self.url,
            schema=self.schema,
            table=self.name,
            column=name,
            available=self.column_names,
        )

    def select(self, names: Sequence[str] | None) -> list[ColumnDescription]:
        """The named columns in the given order (all columns for None)."""
        return list(self.columns) if names is None else [self.column(n) for n in names]

    def sa_table(self, name: str | None = None) -> sa.TableClause:
        """A lightweight SQLAlchemy table for Core statements (quoting done by SQLAlchemy).

        Unsupported columns are untyped: their text passes through with no (JSON, ...) processing.
        """
        return sa.table(
            name or self.name,
            *(
                sa.column(c.name, c.type if arrow_type(c.type) else sa.types.NullType())
                for c in self.columns
            ),
            schema=self.schema,
        )

    def arrow_schema(self, names: Sequence[str] | None = None) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.select(names)])


def describe_table(
    conn: sa.Connection, dialect: Dialect, url: str, table: str, schema: str | None = None
) -> TableDescription:
    """Reflect ``table``; warns once per unsupported column and process (it is passed
    through as text)."""
    with translated(url, schema, table):
        reflected, primary_key = dialect.reflect(conn, table, schema)
    columns = tuple(
        ColumnDescription(
            c.name, c.sql_type, column_kind(c.type, c.name in primary_key), c.nullable, c.type
        )
        for c in reflected
    )
    for column in columns:
        if arrow_type(column.type) is None:
            _warn_unsupported(url, schema, table, column)
    return TableDescription(url, schema, table, columns, tuple(primary_key))


#: Unsupported columns already warned about in this process (a Dagster step, a CLI run).
_warned: set[tuple[str, str, str, str, str]] = set()


def _warn_unsupported(url: str, schema: str | None, table: str, column: ColumnDescription) -> None:
    """An :class:`UnsupportedTypeWarning`, once per column and process (a run describes its
    table many times), attributed to the package rather than to a source line."""
    seen = (url, schema or "", table, column.name, column.sql_type)
    if seen in _warned:
        return
    _warned.add(seen)
    warnings.warn_explicit(
        f"column {column.name!r} of table {table!r} at {url} has unsupported type "
        f"{column.sql_type}: read as text, passed through untouched, never imputed",
        UnsupportedTypeWarning,
        filename="impute_assets.warehouse",
        lineno=0,
        module="impute_assets.warehouse.describe",
    )
