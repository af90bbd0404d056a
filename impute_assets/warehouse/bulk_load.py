"""Fast bulk loading of an Arrow table into an existing table, inside the caller's transaction.

PostgreSQL: COPY ... FROM STDIN (CSV written by Arrow's C++ writer) over psycopg 3.
DuckDB: an insert from an Arrow relation (zero copy) a row group at a time.
MySQL/MariaDB and SQLite: batched executemany (PyMySQL rewrites it into multi-row INSERTs).
Never pandas ``to_sql``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from impute_assets.warehouse.dialects import Dialect

#: Rows per COPY chunk / executemany call.
CHUNK_ROWS = 50_000
EXECUTEMANY_ROWS = 5_000
#: Rows per insert of a DuckDB load (one DuckDB row group).
DUCKDB_ROWS = 122_880
#: What each engine's loader takes: Arrow tables (one schema, none empty), one after the other.
Tables = Iterator[pa.Table]


def bulk_load(
    conn: sa.Connection,
    dialect: Dialect,
    table: sa.TableClause,
    schema: str | None,
    data: pa.Table | Iterable[pa.Table],
) -> int:
    """Append ``data`` (columns named as in ``table``; or Arrow tables one after the other, each
    made only once the one before is loaded) to ``table``; returns the row count."""
    tables = (t for t in ([data] if isinstance(data, pa.Table) else data) if t.num_rows)
    first = next(tables, None)
    if first is None:
        return 0
    if not conn.in_transaction():  # driver-level work must sit in a transaction SQLAlchemy sees
        conn.begin()
    return _LOADERS[dialect.transfer](conn, dialect, table, schema, chain([first], tables))


def _copy_csv(
    conn: sa.Connection, dialect: Dialect, table: sa.TableClause, schema: str | None, data: Tables
) -> int:
    first = next(data)
    # Sent without parameters: identifiers quoted as the server reads them (``raw``).
    statement = (
        f"COPY {dialect.qualified(table.name, schema, raw=True)} "
        f"({dialect.column_list(first.column_names, raw=True)}) FROM STDIN (FORMAT csv)"
    )
    options = pacsv.WriteOptions(include_header=False, batch_size=CHUNK_ROWS)
    raw = conn.connection.dbapi_connection
    rows = 0
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for part in chain([first], data):
            for batch in _each_column(part, _csv_safe).to_batches(CHUNK_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, options)
                copy.write(buffer.getbuffer())
            rows += part.num_rows
    return rows


def _each_column(data: pa.Table, change: Callable[[pa.ChunkedArray], pa.ChunkedArray]) -> pa.Table:
    """``data`` with ``change`` applied to each column."""
    return pa.table({n: change(c) for n, c in zip(data.column_names, data.columns, strict=True)})


def _csv_safe(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Binary as PostgreSQL's ``\\x`` hex text; Arrow's CSV writer quotes strings, not NULLs."""
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        hexed = [None if v is None else "\\x" + v.hex() for v in column.to_pylist()]
        return pa.chunked_array([pa.array(hexed, pa.string())])
    return column


def _arrow_scan(
    conn: sa.Connection, dialect: Dialect, table: sa.TableClause, schema: str | None, data: Tables
) -> int:
    """One insert per row group of rows (``data``: every column of ``table``, in its order),
    each from an Arrow relation, not a registered view: DuckDB holds a registered table's
    Arrow memory until the transaction ends, so tables made one after the other (audit rows
    a batch at a time) would all be held at once."""
    raw = conn.connection.dbapi_connection
    name = dialect.qualified(table.name, schema, raw=True)
    rows = 0
    for group in _regrouped(data, DUCKDB_ROWS):
        raw.from_arrow(group).insert_into(name)
        rows += group.num_rows
    return rows


def _regrouped(tables: Iterable[pa.Table], rows: int) -> Iterator[pa.Table]:
    """The rows of ``tables`` (one schema) as tables of ``rows`` rows (the last: the rest),
    each yielded once its rows have come in."""
    pending: list[pa.Table] = []
    count = 0
    for table in tables:
        start = 0
        while start < table.num_rows:
            taken = table.slice(start, rows - count)
            pending.append(taken)
            count += taken.num_rows
            start += taken.num_rows
            if count == rows:
                yield pa.concat_tables(pending)
                pending, count = [], 0
    if pending:
        yield pa.concat_tables(pending)


def _executemany(
    conn: sa.Connection, dialect: Dialect, table: sa.TableClause, schema: str | None, data: Tables
) -> int:
    statement = sa.insert(table)
    rows = 0
    for part in data:
        for batch in _each_column(part, _nan_to_null).to_batches(EXECUTEMANY_ROWS):
            conn.execute(statement, batch.to_pylist())
        rows += part.num_rows
    return rows


_LOADERS = {"csv_copy": _copy_csv, "arrow": _arrow_scan, "rows": _executemany}


def _nan_to_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """MySQL rejects NaN and SQLite stores it as NULL anyway: send NULL."""
    if pa.types.is_floating(column.type):
        return pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
    return column
