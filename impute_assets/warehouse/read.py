"""Read a table (or one partition, a column subset, a random sample) as Arrow batches.

Memory stays bounded by ``batch_rows``: DuckDB streams Arrow natively; PostgreSQL and MySQL use
server-side cursors (``stream_results``); SQLite's cursor is lazy by nature. ``to_pandas`` gives
nullable dtypes: Int64, boolean, tz-aware timestamps, Arrow decimals, strings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa
import sqlalchemy as sa

from impute_assets.warehouse.describe import TableDescription
from impute_assets.warehouse.dialects import Dialect, arrow_type
from impute_assets.warehouse.errors import translated
from impute_assets.warehouse.partitions import partition_value

DEFAULT_BATCH_ROWS = 65_536


def select_rows(desc: TableDescription, dialect: Dialect, columns: Sequence[str] | None = None,
                partition: tuple[str, object] | None = None,
                sample: int | None = None) -> sa.Select:
    """SELECT of the wanted columns; unsupported types cast to text so they survive untouched."""
    table = desc.sa_table()
    selected = []
    for column in desc.select(columns):
        col = table.c[column.name]
        if arrow_type(column.type) is None:
            col = dialect.as_text(col)
        selected.append(col.label(column.name))
    query = sa.select(*selected)
    if partition is not None:
        name, value = partition
        part = desc.column(name)
        query = query.where(table.c[part.name] == partition_value(part, value, desc))
    if sample is not None:
        query = query.order_by(dialect.random()).limit(int(sample))
    return query


def iter_batches(conn: sa.Connection, dialect: Dialect, desc: TableDescription,
                 columns: Sequence[str] | None = None,
                 partition: tuple[str, object] | None = None, sample: int | None = None,
                 batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Yield record batches of at most ``batch_rows`` rows, typed as ``desc.arrow_schema``."""
    schema = desc.arrow_schema(columns)
    query = select_rows(desc, dialect, columns, partition, sample)
    with translated(desc.url, desc.schema, desc.name):
        if dialect.name == "duckdb":
            yield from _duckdb_batches(conn, query, schema, batch_rows)
        else:
            yield from _cursor_batches(conn, query, schema, batch_rows)


def _duckdb_batches(conn: sa.Connection, query: sa.Select, schema: pa.Schema,
                    batch_rows: int) -> Iterator[pa.RecordBatch]:
    compiled = query.compile(dialect=conn.dialect)
    params = [compiled.params[name] for name in compiled.positiontup or []]
    raw = conn.connection.dbapi_connection
    reader = raw.sql(str(compiled), params=params or None).to_arrow_reader(batch_rows)
    try:
        for batch in reader:
            yield batch.cast(schema) if batch.schema != schema else batch
    finally:
        reader.close()


def _cursor_batches(conn: sa.Connection, query: sa.Select, schema: pa.Schema,
                    batch_rows: int) -> Iterator[pa.RecordBatch]:
    result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(query)
    try:
        for rows in result.partitions(batch_rows):
            values = list(zip(*rows)) if rows else [()] * len(schema)
            yield pa.record_batch(
                [_array(v, field.type) for v, field in zip(values, schema)], schema=schema)
    finally:
        result.close()


def _array(values: Sequence, type_: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=type_, from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # e.g. Decimal into float64, int into bool
        return pa.array(values, from_pandas=True).cast(type_)


def empty_batch(desc: TableDescription, columns: Sequence[str] | None) -> pa.RecordBatch:
    schema = desc.arrow_schema(columns)
    return pa.record_batch([pa.array([], f.type) for f in schema], schema=schema)
