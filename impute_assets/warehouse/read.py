"""Read a table (or one partition, a column subset, a repeatable sample) as Arrow batches.

Memory stays bounded by ``batch_rows``: DuckDB streams Arrow natively; PostgreSQL streams
``COPY (SELECT ...) TO STDOUT`` as CSV into Arrow's streaming CSV reader (faster than a cursor;
a server-side cursor is used when a column's text would not parse back, e.g. bytea); MySQL
uses a server-side cursor (``stream_results``); SQLite's cursor is lazy by nature.
``conversion.to_pandas`` then gives nullable Int64/boolean, tz-aware timestamps, decimals.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from impute_assets.warehouse.describe import TableDescription
from impute_assets.warehouse.dialects import Dialect, arrow_type
from impute_assets.warehouse.errors import UnreadableValue, driver_message, translated
from impute_assets.warehouse.partitions import partition_value

DEFAULT_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class RowSelection:
    """Which rows and columns a read takes: ``columns`` (all for None), one ``partition``
    (column, value; a value of None is the rows where it is NULL), the first ``sample`` rows
    in a repeatable order (all for None), ordered by ``sample_key`` (columns that identify a
    row, e.g. a declared key) when the table has no primary key."""

    columns: Sequence[str] | None = None
    partition: tuple[str, object] | None = None
    sample: int | None = None
    sample_key: Sequence[str] = ()


def select_rows(
    desc: TableDescription, dialect: Dialect, rows: RowSelection = RowSelection()
) -> sa.Select:
    """SELECT of the wanted columns; unsupported types cast to text so they survive untouched.

    A ``sample`` is the first rows in :meth:`Dialect.sample_order` (by the primary key, else by
    ``sample_key``, else by every column): the same rows, in the same order, while the table
    does not change. (Hashing every column of 1M rows costs DuckDB 5 s of CPU; one key, 0.6 s.)
    """
    table = desc.sa_table()
    selected = []
    for column in desc.select(rows.columns):
        col = table.c[column.name]
        if arrow_type(column.type) is None:
            col = dialect.as_text(col)
        selected.append(col.label(column.name))
    query = sa.select(*selected)
    if rows.partition is not None:
        name, value = rows.partition
        part = desc.column(name)
        query = query.where(table.c[part.name] == partition_value(part, value, desc))
    if rows.sample is not None:
        key = desc.primary_key or [desc.column(name).name for name in rows.sample_key]
        by = [table.c[name] for name in key] or [table.c[c.name] for c in desc.columns]
        query = query.order_by(dialect.sample_order(by)).limit(int(rows.sample))
    return query


def iter_batches(
    conn: sa.Connection,
    dialect: Dialect,
    desc: TableDescription,
    rows: RowSelection = RowSelection(),
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Yield record batches of at most ``batch_rows`` rows, typed as ``desc.arrow_schema``."""
    schema = desc.arrow_schema(rows.columns)
    query = select_rows(desc, dialect, rows)
    with translated(desc.url, desc.schema, desc.name), _unreadable_values(desc, schema):
        if dialect.transfer == "arrow":
            yield from _arrow_batches(conn, query, schema, batch_rows)
        elif dialect.transfer == "csv_copy" and all(_csv_parses(f.type) for f in schema):
            yield from _copy_batches(conn, query, schema, batch_rows)
        else:
            yield from _cursor_batches(conn, query, schema, batch_rows)


class _BadCell(Exception):
    """A value Arrow could not convert, located: column name, target type, the value's text."""

    def __init__(self, column: str, type_: str, value: str | None) -> None:
        super().__init__(column, type_, value)
        self.column, self.type, self.value = column, type_, value


@contextmanager
def _unreadable_values(desc: TableDescription, schema: pa.Schema) -> Iterator[None]:
    """Values with no Arrow/pandas form (PostgreSQL's ``infinity`` or BC dates, dates after
    year 9999, numeric NaN) fail the read with the table, column and value named."""
    hint = "read the table through a view that casts or nulls it"
    try:
        yield
    except _BadCell as cell:
        value = "a value" if cell.value is None else f"value {cell.value!r}"
        raise UnreadableValue(
            f"{value} has no {cell.type} form ({hint})",
            url=desc.url,
            schema=desc.schema,
            table=desc.name,
            column=cell.column,
        ) from None
    except (sa.exc.DataError, OverflowError, ValueError) as exc:  # the cursor's conversions
        raise UnreadableValue(
            f"a value cannot be converted ({driver_message(exc)}; {hint})",
            url=desc.url,
            schema=desc.schema,
            table=desc.name,
        ) from None


def _arrow_batches(
    conn: sa.Connection, query: sa.Select, schema: pa.Schema, batch_rows: int
) -> Iterator[pa.RecordBatch]:
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


#: Arrow's CSV reader names the column by position and quotes the value it could not convert.
_CSV_ERROR = re.compile(
    r"CSV column #(?P<index>\d+).*?(?: to (?P<type>\S+): invalid value "
    r"'(?P<value>.*?)'|The string '(?P<text>.*?)' is not a valid "
    r"(?P<kind>\S+) number)",
    re.DOTALL,
)


def _copy_batches(
    conn: sa.Connection, query: sa.Select, schema: pa.Schema, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    compiled = query.compile(dialect=conn.dialect)
    raw = conn.connection.dbapi_connection
    # Arrow's CSV reader has no decimal256: such columns are read as text and cast after.
    as_text = {f.name for f in schema if pa.types.is_decimal256(f.type)}
    column_types = {f.name: pa.string() if f.name in as_text else f.type for f in schema}
    options = pacsv.ConvertOptions(
        column_types=column_types,
        true_values=["t"],
        false_values=["f"],
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    with raw.cursor() as cursor:
        cursor.execute("SET LOCAL TimeZone = 'UTC'")  # timestamptz text in UTC, this tx only
        # psycopg formats a statement only when given parameters: without, ``%%`` stays doubled.
        params = compiled.params or None
        sql = str(compiled) if params else str(compiled).replace("%%", "%")
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            stream = io.BufferedReader(_CopyStream(copy), buffer_size=1 << 20)
            if not stream.peek(1):  # no rows: Arrow refuses an empty CSV
                return
            try:
                reader = pacsv.open_csv(
                    stream,
                    read_options=pacsv.ReadOptions(column_names=schema.names, use_threads=False),
                    # a one-column row of NULL is an empty line: a row, not a line to skip
                    parse_options=pacsv.ParseOptions(
                        newlines_in_values=True, ignore_empty_lines=False
                    ),
                    convert_options=options,
                )
                for parsed in reader:
                    batch = _cast_text_columns(parsed, schema, as_text)
                    for offset in range(0, batch.num_rows, batch_rows):
                        yield batch.slice(offset, batch_rows)
            except pa.ArrowInvalid as exc:
                match = _CSV_ERROR.search(str(exc))
                if match is None:
                    raise
                raise _BadCell(
                    schema.names[int(match["index"])],
                    match["type"] or match["kind"],
                    match["value"] if match["type"] else match["text"],
                ) from None


def _cast_text_columns(batch: pa.RecordBatch, schema: pa.Schema, names: set[str]) -> pa.RecordBatch:
    if not names:
        return batch
    columns = []
    for field, column in zip(schema, batch.columns, strict=True):
        typed = column
        if field.name in names:
            try:
                typed = column.cast(field.type)
            except pa.ArrowInvalid as exc:
                bad = re.search(r"string '(.*?)'", str(exc))
                raise _BadCell(field.name, str(field.type), bad and bad.group(1)) from None
        columns.append(typed)
    return pa.record_batch(columns, schema=schema)


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


def _cursor_batches(
    conn: sa.Connection, query: sa.Select, schema: pa.Schema, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(query)
    try:
        for rows in result.partitions(batch_rows):
            values = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
            yield pa.record_batch(
                [_array(v, field.type) for v, field in zip(values, schema, strict=True)],
                schema=schema,
            )
    finally:
        result.close()


def _array(values: Sequence, type_: pa.DataType) -> pa.Array:
    # Driver values, not pandas: a float NaN is a value, only None is NULL.
    try:
        return pa.array(values, type=type_)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # e.g. Decimal into float64, int into bool
        return pa.array(values).cast(type_)
