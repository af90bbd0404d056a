"""Errors of the warehouse layer: each names the masked URL, schema, table and column at fault."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa


def _where(url: str, schema: str | None, table: str, column: str | None = None) -> str:
    place = f"table {table!r}" if schema is None else f"table {schema!r}.{table!r}"
    if column is not None:
        place = f"column {column!r} of {place}"
    return f"{place} at {url}"


class WarehouseError(Exception):
    """Base class: something about a named table went wrong in a warehouse."""

    def __init__(
        self, message: str, *, url: str, schema: str | None, table: str, column: str | None = None
    ) -> None:
        super().__init__(f"{message}: {_where(url, schema, table, column)}")
        self.url, self.schema, self.table, self.column = url, schema, table, column


class TableNotFound(WarehouseError):
    """The table (or its schema) does not exist."""

    def __init__(self, *, url: str, schema: str | None, table: str) -> None:
        super().__init__("no such table", url=url, schema=schema, table=table)


class ColumnNotFound(WarehouseError):
    """A requested column is not in the table; the message lists the columns it has."""

    def __init__(
        self, *, url: str, schema: str | None, table: str, column: str, available: Sequence[str]
    ) -> None:
        super().__init__(
            f"no such column (table has {list(available)})",
            url=url,
            schema=schema,
            table=table,
            column=column,
        )


class PermissionDenied(WarehouseError):
    """The warehouse refused the user access to the table."""

    def __init__(self, *, url: str, schema: str | None, table: str, detail: str) -> None:
        super().__init__(f"permission denied ({detail})", url=url, schema=schema, table=table)


class ConnectionFailed(WarehouseError):
    """The warehouse could not be reached or refused the login (one line: no driver traceback)."""

    def __init__(
        self, *, url: str, schema: str | None, table: str, detail: str, url_env: str | None = None
    ) -> None:
        source = f" (URL from env var {url_env})" if url_env else ""
        super().__init__(f"cannot connect ({detail})", url=url + source, schema=schema, table=table)


class UnreadableValue(WarehouseError):
    """A stored value has no Arrow/pandas form (PostgreSQL's infinity, BC or year > 9999 dates,
    numeric NaN in a ``numeric(p, s)`` column): named with its column, never rewritten."""


class PublishRefused(WarehouseError):
    """The frame cannot be published as asked (wrong columns, rows outside the partition, ...)."""


class DuplicateKey(PublishRefused):
    """The rows repeat a value of the table's primary key or unique key."""


class UnsupportedTypeWarning(UserWarning):
    """A column's SQL type is passed through untouched (read as text) and never imputed."""


# SQLSTATEs / MySQL error codes, and message fragments (SQLite, DuckDB), per kind of failure.
_PERMISSION_CODES = {"42501", "1142", "1044", "1143"}
_PERMISSION_TEXT = ("permission denied", "access denied", "attempt to write a readonly")
_MISSING_CODES = {"42P01", "3F000", "1146", "1049"}
_MISSING_TEXT = ("no such table", "table with name")
_DUPLICATE_CODES = {"23505", "1062"}
_DUPLICATE_TEXT = ("unique constraint", "duplicate key")


#: Top-level modules of the drivers whose own exceptions escape raw-connection paths (COPY, Arrow).
_DRIVERS = {"psycopg", "psycopg2", "pymysql", "MySQLdb", "sqlite3", "duckdb", "_duckdb"}


def driver_message(exc: BaseException, secret: str | None = None) -> str:
    """The driver's own first line for ``exc`` (without SQLAlchemy's SQL dump), ``secret``
    (a password) replaced by ``***``."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    args = getattr(orig, "args", ())
    text = str(args[1]) if len(args) == 2 and isinstance(args[0], int) else str(orig)  # PyMySQL
    line = next((part.strip() for part in text.splitlines() if part.strip()), type(orig).__name__)
    return line.replace(secret, "***") if secret else line


@contextmanager
def translated(url: str, schema: str | None, table: str) -> Iterator[None]:
    """Turn driver errors about access and missing tables into this module's errors."""
    try:
        yield
    except sa.exc.NoSuchTableError as exc:
        raise TableNotFound(url=url, schema=schema, table=table) from exc
    except WarehouseError:
        raise
    except Exception as exc:
        orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        if type(orig).__module__.split(".")[0] not in _DRIVERS:
            raise
        codes = {
            str(getattr(orig, "sqlstate", None)),
            str((getattr(orig, "args", None) or [""])[0]),
        }
        text = str(orig).lower()
        first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        if codes & _PERMISSION_CODES or any(p in text for p in _PERMISSION_TEXT):
            raise PermissionDenied(url=url, schema=schema, table=table, detail=first_line) from exc
        if codes & _MISSING_CODES or any(p in text for p in _MISSING_TEXT):
            raise TableNotFound(url=url, schema=schema, table=table) from exc
        if codes & _DUPLICATE_CODES or any(p in text for p in _DUPLICATE_TEXT):
            raise DuplicateKey(
                f"rows repeat a key value ({first_line})", url=url, schema=schema, table=table
            ) from None
        raise
