"""Read a table (or one partition, a column subset, a random sample) as Arrow batches.

Memory stays bounded by ``batch_rows``: DuckDB streams Arrow natively; PostgreSQL streams
``COPY (SELECT ...) TO STDOUT`` as CSV into Arrow's streaming CSV reader (faster than a cursor;
a server-side cursor is used when a column's text would not parse back, e.g. bytea); MySQL
uses a server-side cursor (``stream_results``); SQLite's cursor is lazy by nature.
``conversion.to_pandas`` then gives nullable Int64/boolean, tz-aware timestamps, decimals.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.csv as pacsv
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
        elif dialect.name == "postgresql" and all(_csv_parses(f.type) for f in schema):
            yield from _copy_batches(conn, query, schema, batch_rows)
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


def _csv_parses(type_: pa.DataType) -> bool:
    """Whether Arrow parses PostgreSQL's CSV text of this type back to the same value."""
    return not (pa.types.is_binary(type_) or pa.types.is_time(type_))


def _copy_batches(conn: sa.Connection, query: sa.Select, schema: pa.Schema,
                  batch_rows: int) -> Iterator[pa.RecordBatch]:
    compiled = query.compile(dialect=conn.dialect)
    raw = conn.connection.dbapi_connection
    options = pacsv.ConvertOptions(column_types=schema, true_values=["t"], false_values=["f"],
                                   null_values=[""], strings_can_be_null=True,
                                   quoted_strings_can_be_null=False)
    with raw.cursor() as cursor:
        cursor.execute("SET LOCAL TimeZone = 'UTC'")  # timestamptz text in UTC, this tx only
        with cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)", compiled.params) as copy:
            stream = io.BufferedReader(_CopyStream(copy), buffer_size=1 << 20)
            if not stream.peek(1):  # no rows: Arrow refuses an empty CSV
                return
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=schema.names, use_threads=False),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=options)
            for batch in reader:
                for offset in range(0, batch.num_rows, batch_rows):
                    yield batch.slice(offset, batch_rows)


class _CopyStream(io.RawIOBase):
    """The data blocks of a psycopg COPY TO, as a readable byte stream."""

    def __init__(self, copy: object) -> None:
        self._blocks = iter(copy)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._pending = memoryview(block)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


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
