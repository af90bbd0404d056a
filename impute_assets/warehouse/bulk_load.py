"""Fast bulk loading of an Arrow table into an existing table, inside the caller's transaction.

PostgreSQL: COPY ... FROM STDIN (CSV written by Arrow's C++ writer) over psycopg 3.
DuckDB: INSERT ... SELECT from the registered Arrow table (zero copy).
MySQL/MariaDB and SQLite: batched executemany (PyMySQL rewrites it into multi-row INSERTs).
Never pandas ``to_sql``.
"""

from __future__ import annotations

import io
import uuid

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from impute_assets.warehouse.dialects import Dialect

#: Rows per COPY chunk / executemany call.
CHUNK_ROWS = 50_000
EXECUTEMANY_ROWS = 5_000


def bulk_load(
    conn: sa.Connection, dialect: Dialect, table: sa.TableClause, schema: str | None, data: pa.Table
) -> int:
    """Append ``data`` (columns named as in ``table``) to ``table``; returns the row count."""
    if data.num_rows == 0:
        return 0
    if not conn.in_transaction():  # driver-level work must sit in a transaction SQLAlchemy sees
        conn.begin()
    _LOADERS[dialect.transfer](conn, dialect, table, schema, data)
    return data.num_rows


def _copy_csv(
    conn: sa.Connection, dialect: Dialect, table: sa.TableClause, schema: str | None, data: pa.Table
) -> None:
    data = pa.table(
        {name: _csv_safe(col) for name, col in zip(data.column_names, data.columns, strict=True)}
    )
    # Sent without parameters: identifiers quoted as the server reads them (``raw``).
    statement = (
        f"COPY {dialect.qualified(table.name, schema, raw=True)} "
        f"({dialect.column_list(data.column_names, raw=True)}) FROM STDIN (FORMAT csv)"
    )
    options = pacsv.WriteOptions(include_header=False, batch_size=CHUNK_ROWS)
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for batch in data.to_batches(CHUNK_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, options)
            copy.write(buffer.getbuffer())


def _csv_safe(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Binary as PostgreSQL's ``\\x`` hex text; Arrow's CSV writer quotes strings, not NULLs."""
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        hexed = [None if v is None else "\\x" + v.hex() for v in column.to_pylist()]
        return pa.chunked_array([pa.array(hexed, pa.string())])
    return column


def _arrow_scan(
    conn: sa.Connection, dialect: Dialect, table: sa.TableClause, schema: str | None, data: pa.Table
) -> None:
    raw = conn.connection.dbapi_connection
    view = f"_ia_arrow_{uuid.uuid4().hex}"
    columns = dialect.column_list(data.column_names, raw=True)
    raw.register(view, data)  # on failure the view dies with the connection (no pooling)
    raw.execute(
        f"INSERT INTO {dialect.qualified(table.name, schema, raw=True)} ({columns}) "
        f"SELECT {columns} FROM {view}"
    )
    raw.unregister(view)


def _executemany(
    conn: sa.Connection, dialect: Dialect, table: sa.TableClause, schema: str | None, data: pa.Table
) -> None:
    data = pa.table(
        {name: _nan_to_null(col) for name, col in zip(data.column_names, data.columns, strict=True)}
    )
    statement = sa.insert(table)
    for batch in data.to_batches(EXECUTEMANY_ROWS):
        conn.execute(statement, batch.to_pylist())


_LOADERS = {"csv_copy": _copy_csv, "arrow": _arrow_scan, "rows": _executemany}


def _nan_to_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """MySQL rejects NaN and SQLite stores it as NULL anyway: send NULL."""
    if pa.types.is_floating(column.type):
        return pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
    return column
