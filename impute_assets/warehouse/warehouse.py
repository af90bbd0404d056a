"""The Warehouse facade: one object per warehouse URL, the only entry point other layers use."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Self

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from impute_assets.warehouse.audit import AuditRows
from impute_assets.warehouse.conversion import to_pandas
from impute_assets.warehouse.describe import TableDescription, describe_table
from impute_assets.warehouse.dialects import dialect_for
from impute_assets.warehouse.engine import create_engine
from impute_assets.warehouse.errors import ConnectionFailed, driver_message
from impute_assets.warehouse.keys import check_key
from impute_assets.warehouse.partitions import (
    collation_twins,
    list_partitions,
    partitions_with_missing,
)
from impute_assets.warehouse.profile import MissingProfile, profile_table
from impute_assets.warehouse.publish import (
    Destination,
    PublishRequest,
    PublishResult,
    StagingTable,
    check_name,
    publish_frame,
    remove_partition,
    sweep_staging,
)
from impute_assets.warehouse.read import DEFAULT_BATCH_ROWS, RowSelection, iter_batches
from impute_assets.warehouse.url import DEFAULT_URL, mask_url, parse_url


class Warehouse:
    """A SQL warehouse reached by a SQLAlchemy URL (DuckDB, SQLite, PostgreSQL, MySQL/MariaDB).

    The methods that read a table take its name, or its :class:`TableDescription` (from
    :meth:`describe`): a caller that already described the table (a run, once) saves each
    method describing it again (``schema`` is then the description's).

    Example:
        >>> wh = Warehouse("duckdb:///warehouse.duckdb")
        >>> orders = pd.DataFrame({"day": [1, 1, 2], "qty": [3.0, None, 5.0]})
        >>> wh.publish(orders, "orders").rows_written
        3
        >>> wh.profile("orders", partition_column="day").incomplete_columns
        ['qty']
    """

    def __init__(
        self, url: str | sa.URL = DEFAULT_URL, url_env: str | None = None, **engine_kwargs: object
    ) -> None:
        """``url_env``: the env var the URL came from, named in connection errors."""
        self._url = parse_url(url)
        self.url_env = url_env
        self.engine = create_engine(self._url, **engine_kwargs)
        self.dialect = dialect_for(self.engine)

    @contextmanager
    def connect(self, table: str, schema: str | None = None) -> Iterator[sa.Connection]:
        """A connection; failing to connect raises one :class:`ConnectionFailed` line naming
        ``table``, the masked URL and its env var (no driver traceback, no password)."""
        try:
            conn = self.engine.connect()
        except Exception as exc:  # noqa: BLE001 - every driver has its own connect errors
            detail = driver_message(exc, self._url.password)
            raise ConnectionFailed(
                url=self.masked_url, schema=schema, table=table, detail=detail, url_env=self.url_env
            ) from None
        with conn:
            yield conn

    def check_name(self, table: str, schema: str | None = None) -> None:
        """Refuse (``PublishRefused``) an output name this engine would cut short: call it when
        a table is declared, long before a publish (PostgreSQL allows 63 bytes)."""
        check_name(self.dialect, self.masked_url, table, schema)

    @property
    def masked_url(self) -> str:
        """The URL with its password hidden: the only form that may reach logs or metadata."""
        return mask_url(self._url)

    def __repr__(self) -> str:
        return f"Warehouse({self.masked_url!r})"

    def close(self) -> None:
        """Release pooled connections (and DuckDB's file lock)."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def fill_lock(
        self, table: str, schema: str | None = None, partition: object = None
    ) -> Iterator[None]:
        """Held for a whole fill of ``table`` (one ``partition``): two fills of it, from any
        processes, take turns (PostgreSQL advisory lock, MySQL GET_LOCK, a lock file beside a
        DuckDB/SQLite file)."""
        with self.dialect.fill_lock(table, schema, partition):
            yield

    def describe(self, table: str, schema: str | None = None) -> TableDescription:
        """Columns (name, SQL type, kind, nullability) and primary key of ``table``."""
        with self.connect(table, schema) as conn:
            return describe_table(conn, self.dialect, self.masked_url, table, schema)

    @contextmanager
    def _described(
        self, table: str | TableDescription, schema: str | None
    ) -> Iterator[tuple[sa.Connection, TableDescription]]:
        """A connection and the description of ``table`` (described unless given one)."""
        if isinstance(table, TableDescription):
            with self.connect(table.name, table.schema) as conn:
                yield conn, table
            return
        with self.connect(table, schema) as conn:
            yield conn, describe_table(conn, self.dialect, self.masked_url, table, schema)

    def profile(
        self,
        table: str | TableDescription,
        schema: str | None = None,
        partition_column: str | None = None,
        empty_strings: bool = False,
        columns: Sequence[str] | None = None,
    ) -> MissingProfile:
        """Rows and missing cells per column (per partition value if asked), in one query."""
        with self._described(table, schema) as (conn, desc):
            return profile_table(conn, self.dialect, desc, columns, partition_column, empty_strings)

    def check_key(
        self, table: str | TableDescription, key: Sequence[str], schema: str | None = None
    ) -> None:
        """Refuse a declared ``key`` naming a missing column or repeating on rows (SQL count)."""
        with self._described(table, schema) as (conn, desc):
            check_key(conn, desc, key)

    def partitions(
        self, table: str | TableDescription, column: str, schema: str | None = None
    ) -> list[str]:
        """Distinct values of a partition column, sorted, as text (ISO dates)."""
        with self._described(table, schema) as (conn, desc):
            return list_partitions(conn, desc, column)

    def collation_twins(
        self, table: str | TableDescription, column: str, schema: str | None = None
    ) -> tuple[str | None, list[list[str]]]:
        """The collation of a partition column, when it may compare distinct values equal,
        and the groups of values it does ([] when none, or the engine compares bytes)."""
        with self._described(table, schema) as (conn, desc):
            name = desc.column(column).name
            collation = self.dialect.column_collation(conn, desc.name, desc.schema, name)
            if collation is None or collation.endswith("_bin"):
                return collation, []
            return collation, collation_twins(conn, desc, name)

    def partitions_with_missing(
        self,
        table: str | TableDescription,
        column: str,
        schema: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> list[str]:
        """Partition values where any of ``columns`` (default: all) has a missing cell."""
        profile = self.profile(table, schema, partition_column=column, columns=columns)
        return partitions_with_missing(profile, columns)

    def iter_batches(
        self,
        table: str | TableDescription,
        schema: str | None = None,
        columns: Sequence[str] | None = None,
        partition: tuple[str, object] | None = None,
        sample: int | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> Iterator[pa.RecordBatch]:
        """Arrow record batches of at most ``batch_rows`` rows (bounded memory)."""
        with self._described(table, schema) as (conn, desc):
            rows = RowSelection(columns, partition, sample)
            yield from iter_batches(conn, self.dialect, desc, rows, batch_rows)

    def read(
        self,
        table: str | TableDescription,
        schema: str | None = None,
        columns: Sequence[str] | None = None,
        partition: tuple[str, object] | None = None,
        sample: int | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        nan_as_missing: bool = True,
        sample_key: Sequence[str] = (),
    ) -> pd.DataFrame:
        """The table (or a partition / column subset / a repeatable sample) as a typed DataFrame.

        A sample is drawn in an order that looks random, the same on every read: by the primary
        key, else by ``sample_key`` (columns that identify a row), else by every column.

        ``nan_as_missing=False``: float columns come as ``double[pyarrow]``, where NaN is a value
        and only NULL is missing, so publishing the frame writes NaN back as NaN (with the
        default ``float64`` both are NaN, and a publish writes NULL).
        """
        with self._described(table, schema) as (conn, desc):
            rows = RowSelection(columns, partition, sample, sample_key)
            batches = list(iter_batches(conn, self.dialect, desc, rows, batch_rows))
        return to_pandas(pa.Table.from_batches(batches, desc.arrow_schema(columns)), nan_as_missing)

    def publish(
        self,
        frame: pd.DataFrame,
        table: str,
        schema: str | None = None,
        partition: tuple[str, object] | None = None,
        validate: Callable[[StagingTable], None] | None = None,
        audit: pd.DataFrame | AuditRows | None = None,
        audit_table: str | None = None,
        like: str | TableDescription | None = None,
        key: Sequence[str] = (),
        audit_key: str | None = None,
    ) -> PublishResult:
        """Write-audit-publish ``frame`` into ``table`` (whole, or one partition) atomically.

        ``validate(staging)`` raises to refuse; ``audit`` rows (see ``audit.audit_frame``, or
        ``audit.audit_rows``: loaded a batch at a time) go to ``audit_table`` in the same
        transaction. A new output table is created from the DDL of
        ``like`` (the source table, by name or description: its exact column types, NOT NULL,
        primary key and unique indexes) or, without it, from the frame's types; ``key`` then
        gets a unique index when that DDL has no primary key. Publishes into one
        table/partition wait for each other. A ``partition`` value of None is the rows whose
        partition column is NULL; ``audit_key`` labels a partition publish's audit rows
        (default: the partition value as text).
        """
        self.check_name(table, schema)
        request = PublishRequest(
            frame, table, schema, partition, validate, audit, audit_table, like, key, audit_key
        )
        return publish_frame(self._destination(table, schema), request)

    def _destination(self, table: str, schema: str | None) -> Destination:
        """This warehouse as a publish into ``table`` reaches it."""
        return Destination(
            self.engine,
            self.dialect,
            self._url.render_as_string(hide_password=False),
            self.masked_url,
            lambda: self.connect(table, schema),
        )

    def remove_partition(
        self,
        table: str,
        partition: tuple[str, object],
        schema: str | None = None,
        audit_table: str | None = None,
        audit_key: str | None = None,
    ) -> tuple[int, int]:
        """Delete one partition of ``table`` and its audit rows in one transaction (a
        partition whose source rows are gone); returns (rows, audit rows) deleted."""
        return remove_partition(
            self._destination(table, schema), table, schema, partition, audit_table, audit_key
        )

    def sweep_staging(self, schema: str | None = None) -> list[str]:
        """Drop staging tables left by killed processes; returns their names."""
        with self.connect("(staging tables)", schema) as conn:
            return sweep_staging(conn, self.dialect, schema)
