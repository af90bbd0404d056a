"""Write-audit-publish: stage the rows, let a callback validate the staging table, then swap the
rows in with one transaction (whole table, or delete-partition + insert) together with the audit.

Nothing is visible before that transaction commits. The staging table is created from the
output table's DDL (or, for a new output table, the source's: ``like``), so types, NOT NULL, the
primary key and unique indexes are the engine's own, not rebuilt from pandas. A new output table
is the staging table renamed into place inside the publishing transaction (MySQL: one atomic
RENAME, then the audit rows); an existing one gets DELETE + INSERT ... SELECT from staging
(atomic on all four engines, MVCC-safe for readers on older snapshots, and the table keeps its
grants, indexes and dependent views). Where DDL is transactional and a copy loses nothing
(DuckDB tables with at most NOT NULL and a primary key), a full replace DROPs the table and
RENAMEs staging in its place in that same transaction, which saves writing every row twice.

Publishes into one table (one partition) are serialized by the engine's lock
(``Dialect.publish_lock``): two runs of one partition at once never both survive.

A killed process can leave its staging table behind; staging names carry their owner (backend
pid, connection id or OS pid) and every publish first drops staging tables whose owner is gone.
"""

from __future__ import annotations

import re
import threading
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from impute_assets.core.names import table_tag
from impute_assets.warehouse.audit import (
    AuditRows,
    delete_audit,
    ensure_audit_table,
    write_audit,
)
from impute_assets.warehouse.bulk_load import bulk_load
from impute_assets.warehouse.conversion import as_arrow, to_arrow, to_pandas
from impute_assets.warehouse.describe import TableDescription, describe_table
from impute_assets.warehouse.dialects import (
    Dialect,
    ReflectedColumn,
    case_twins,
    dialect_for,
    sql_type_for,
)
from impute_assets.warehouse.errors import PublishRefused, translated
from impute_assets.warehouse.keys import KeyHasNull
from impute_assets.warehouse.partitions import partition_label, partition_value
from impute_assets.warehouse.read import RowSelection, iter_batches

STAGING_PREFIX = "_ia_stage_"
_STAGING_NAME = re.compile(rf"{STAGING_PREFIX}([a-z]\d+)_([0-9a-f]{{6}})_[0-9a-f]{{8}}")
_active_staging: set[str] = set()
_active_lock = threading.Lock()


@dataclass(frozen=True)
class StagingTable:
    """The staged rows, handed to the validation callback (raise to refuse the publish).

    ``url`` is the real URL (for in-process validators): never log it; ``masked_url`` is safe
    (and the only one ``repr`` shows).
    """

    url: str = field(repr=False)
    masked_url: str
    schema: str | None
    name: str
    engine: sa.Engine
    rows: int
    description: TableDescription

    @property
    def validates_in_sql(self) -> bool:
        """Whether GE's SQL datasource can validate this table in place; if not (DuckDB, MySQL
        names with a backtick), validate :meth:`to_pandas` instead."""
        return dialect_for(self.engine).validates_in_sql(self.description.column_names)

    def to_pandas(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The staged rows (only ``columns``, when given) as a DataFrame (for validators that
        work on frames, e.g. DuckDB)."""
        dialect = dialect_for(self.engine)
        with self.engine.connect() as conn:
            batches = list(
                iter_batches(conn, dialect, self.description, RowSelection(columns=columns))
            )
        return to_pandas(pa.Table.from_batches(batches, self.description.arrow_schema(columns)))


@dataclass(frozen=True)
class PublishResult:
    """What a publish did."""

    table: str
    schema: str | None
    partition: tuple[str, str] | None
    rows_written: int
    rows_replaced: int
    audit_rows: int
    created: bool


@dataclass(frozen=True)
class PublishRequest:
    """What a publish writes where: ``frame`` into ``table`` (whole, or one ``partition``; a
    value of None is the rows whose partition column is NULL), refused by ``validate``, with
    ``audit`` rows for ``audit_table`` (labelled ``audit_key``, default the partition value
    as text). A new output table takes the DDL of ``like`` (the source: a name, or its
    description when the caller has it), and ``key`` a unique index when that has no
    primary key."""

    frame: pd.DataFrame = field(repr=False)
    table: str
    schema: str | None = None
    partition: tuple[str, object] | None = None
    validate: Callable[[StagingTable], None] | None = None
    audit: pd.DataFrame | AuditRows | None = field(default=None, repr=False)
    audit_table: str | None = None
    like: str | TableDescription | None = None
    key: Sequence[str] = ()
    audit_key: str | None = None

    @property
    def audit_label(self) -> object:
        """What the audit rows are labelled with (None: a whole-table publish)."""
        return _audit_label(self.partition, self.audit_key)


@dataclass(frozen=True)
class Destination:
    """The warehouse a publish writes to: its engine and dialect, its URL (real, for
    in-process validators; never logged) and masked, and how to open a connection (the
    facade's names the table in connection errors)."""

    engine: sa.Engine
    dialect: Dialect
    url: str = field(repr=False)
    masked_url: str
    connect: Callable[[], AbstractContextManager[sa.Connection]]


@dataclass(frozen=True)
class _Staged:
    """The staged output: its shape (``desc``, the output's name), the staging table's name,
    the partition's (column, typed value) and whether the output existed before."""

    desc: TableDescription
    staging: str
    where: tuple[str, object] | None
    existed: bool


@dataclass(frozen=True)
class _Audit:
    """The audit side of a publish: the rows, the audit table (its shape, under its own
    name), the staging name it was created under when new, and the label of its rows."""

    rows: pd.DataFrame | AuditRows
    desc: TableDescription
    staging: str | None
    label: object


def publish_frame(to: Destination, request: PublishRequest) -> PublishResult:
    """Replace ``request.table`` (or one partition of it) with its frame, atomically; see the
    module doc."""
    table, schema, frame = request.table, request.schema, request.frame
    dialect, masked_url = to.dialect, to.masked_url
    if request.audit is not None and request.audit_table is None:
        raise ValueError(f"audit rows for table {table!r} given without audit_table")
    for name in filter(None, (table, request.audit_table)):
        check_name(dialect, masked_url, name, schema)
    twins = case_twins(map(str, frame.columns)) if dialect.case_blind_names else None
    if twins is not None:  # the engine's own error names neither column
        raise PublishRefused(
            f"columns {twins[0]!r} and {twins[1]!r} differ only in case, and {dialect.name} "
            "reads them as one name: rename one of them",
            url=masked_url,
            schema=schema,
            table=table,
        )
    for name in request.key:  # the same refusal on every engine (DuckDB's key would be NOT NULL)
        if name in frame.columns and (nulls := int(frame[name].isna().sum())):
            raise KeyHasNull(
                url=masked_url, schema=schema, table=table, key=request.key, column=name, rows=nulls
            )
    with to.connect() as conn:
        sweep_staging(conn, dialect, schema)
        existed = dialect.has_table(conn, table, schema)
        staging = _staging_name(conn, dialect, table)
        audit_staging = None
        placed: list[str] = []  # the audit table, once this publish renamed it into place
        published = False
        try:
            desc, converted = _create_staging(conn, dialect, masked_url, request, staging, existed)
            rows, where, label = _stage(conn, dialect, desc, staging, request, converted)
            del converted  # staged: off the peak of the validation's read-back
            audit = None
            if request.audit is not None:
                audit_table = request.audit_table
                audit_staging = ensure_audit_table(
                    conn,
                    dialect,
                    audit_table,
                    schema,
                    lambda: _staging_name(conn, dialect, audit_table),
                )
                audit_desc = replace(
                    describe_table(conn, dialect, masked_url, audit_staging or audit_table, schema),
                    name=audit_table,
                )
                audit = _Audit(request.audit, audit_desc, audit_staging, request.audit_label)
            if request.validate is not None:
                request.validate(
                    StagingTable(
                        to.url,
                        masked_url,
                        schema,
                        staging,
                        to.engine,
                        rows,
                        _renamed(desc, staging),
                    )
                )
            replaced, audited, created = _swap_in(
                conn, dialect, _Staged(desc, staging, where, existed), audit, placed
            )
            published = True
        finally:  # a staging table renamed into place is gone: dropping its name does nothing
            # where RENAME commits by itself (MySQL), an audit table placed by a publish that
            # then failed survives the rollback: drop it again
            kept = [] if published or dialect.renames_in_transaction else placed
            _clean_up(conn, dialect, schema, [staging, audit_staging, *kept])
    return PublishResult(table, schema, label, rows, replaced, audited, created)


def remove_partition(
    to: Destination,
    table: str,
    schema: str | None,
    partition: tuple[str, object],
    audit_table: str | None = None,
    audit_key: str | None = None,
) -> tuple[int, int]:
    """Delete one partition's rows of ``table`` and their audit rows (labelled ``audit_key``,
    default the value as text) in one transaction, under the partition's publish lock: the
    rows of a partition whose source rows are gone. Returns (rows, audit rows) deleted; (0, 0)
    when ``table`` does not exist."""
    dialect, masked_url = to.dialect, to.masked_url
    with to.connect() as conn:
        if not dialect.has_table(conn, table, schema):
            return 0, 0
        desc = describe_table(conn, dialect, masked_url, table, schema)
        audit_desc = (
            describe_table(conn, dialect, masked_url, audit_table, schema)
            if audit_table is not None and dialect.has_table(conn, audit_table, schema)
            else None
        )
        name, raw_value = partition
        value = partition_value(desc.column(name), raw_value, desc)
        target = desc.sa_table()
        if conn.in_transaction():
            conn.commit()
        dialect.begin_publish(conn)
        with (
            translated(desc.url, desc.schema, desc.name),
            dialect.publish_lock(conn, desc.name, desc.schema, value, False),
        ):
            rows = conn.execute(sa.delete(target).where(target.c[name] == value)).rowcount
            label = _audit_label((name, value), audit_key)
            audited = delete_audit(conn, audit_desc, label) if audit_desc is not None else 0
            conn.commit()
    return int(rows), audited


def check_name(dialect: Dialect, masked_url: str, name: str, schema: str | None) -> None:
    """Refuse a table name the engine would cut short (PostgreSQL: 63 bytes)."""
    problem = dialect.check_name(name)
    if problem is not None:
        raise PublishRefused(problem, url=masked_url, schema=schema, table=name)


def _create_staging(
    conn: sa.Connection,
    dialect: Dialect,
    masked_url: str,
    request: PublishRequest,
    staging: str,
    existed: bool,
) -> tuple[TableDescription, pa.Table | None]:
    """Create the empty staging table from the DDL of the output table (or of ``like``, or the
    frame's types for a new table without a source); committed. Returns the output's shape,
    and the frame as Arrow where its types were read from it (staged as it is: converting a
    1M x 20 frame twice cost 2.6 s)."""
    table, schema = request.table, request.schema
    template = table if existed else request.like
    converted = None
    with translated(masked_url, schema, table):
        if template is not None:
            source = (
                template
                if isinstance(template, TableDescription)
                else describe_table(conn, dialect, masked_url, template, schema)
            )
            dialect.create_like(
                conn,
                source.name,
                staging,
                schema,
                _reflected(source),
                source.primary_key,
                scratch=existed,
            )
        else:
            converted = pa.table(
                {str(name): as_arrow(values) for name, values in request.frame.items()}
            )
            columns = [sa.Column(f.name, sql_type_for(f.type)) for f in converted.schema]
            sa.Table(staging, sa.MetaData(), *columns, schema=schema).create(conn)
            source = describe_table(conn, dialect, masked_url, staging, schema)
        if not existed and request.key and not source.primary_key:
            dialect.add_key(conn, staging, schema, request.key)
        conn.commit()
    return TableDescription(
        masked_url, schema, table, source.columns, source.primary_key
    ), converted


def _reflected(desc: TableDescription) -> list[ReflectedColumn]:
    return [ReflectedColumn(c.name, c.type, c.sql_type, c.nullable) for c in desc.columns]


def _renamed(desc: TableDescription, name: str) -> TableDescription:
    return TableDescription(desc.url, desc.schema, name, desc.columns, ())


def _partition_filter(
    desc: TableDescription, data: pa.Table, partition: tuple[str, object] | None
) -> tuple[tuple[str, object] | None, tuple[str, str] | None]:
    """(column, typed value) of a partition publish and its label; refuses rows outside it."""
    if partition is None:
        return None, None
    name, raw_value = partition
    column = desc.column(name)
    value = partition_value(column, raw_value, desc)
    values = data.column(name)
    matches = (
        pc.is_null(values) if value is None else pc.equal(values, pa.scalar(value, values.type))
    )
    inside = pc.sum(matches.fill_null(False)).as_py()
    if (inside or 0) != len(values):
        raise desc.refused(
            f"{len(values) - (inside or 0)} frame rows lie outside partition {raw_value!r}", name
        )
    return (name, value), (name, partition_label(value))


def _audit_label(partition: tuple[str, object] | None, audit_key: str | None) -> object:
    """What the audit rows of a publish are labelled with (None: a whole-table publish)."""
    if partition is None:
        return None
    return audit_key if audit_key is not None else str(partition[1])


def _staging_name(conn: sa.Connection, dialect: Dialect, table: str) -> str:
    """A unique staging name naming its owner session, registered as in flight here."""
    owner = dialect.session_owner(conn)
    name = f"{STAGING_PREFIX}{owner}_{table_tag(table)}_{uuid.uuid4().hex[:8]}"
    with _active_lock:
        _active_staging.add(name)
    return name


def _stage(
    conn: sa.Connection,
    dialect: Dialect,
    desc: TableDescription,
    name: str,
    request: PublishRequest,
    converted: pa.Table | None = None,
) -> tuple[int, tuple[str, object] | None, tuple[str, str] | None]:
    """Fill the staging table with the request's frame (or its Arrow copy ``converted``), cast
    to the table's types (refused when a row lies outside the partition); committed. Returns
    the row count and the partition's filter and label. The Arrow copy of the frame ends here,
    before validation reads the staged rows back (1M x 21 columns: ~200 MB)."""
    data = to_arrow(request.frame if converted is None else converted, desc)
    if not dialect.stores_infinity:
        _refuse_infinity(desc, data)
    where, label = _partition_filter(desc, data, request.partition)
    with translated(desc.url, desc.schema, desc.name):
        bulk_load(conn, dialect, desc.sa_table(name), desc.schema, data)
        conn.commit()
    return data.num_rows, where, label


def _refuse_infinity(desc: TableDescription, data: pa.Table) -> None:
    """Refuse, naming the column, infinities an engine cannot store (its driver's own error
    named neither table nor column)."""
    for name, column in zip(data.column_names, data.columns, strict=True):
        if pa.types.is_floating(column.type) and (count := pc.sum(pc.is_inf(column)).as_py()):
            raise desc.refused(
                f"{count} infinite value(s): this engine cannot store infinity", name
            )


def staging_of(names: Iterable[str], table: str) -> list[str]:
    """The staging tables among ``names`` that belong to publishes into ``table``."""
    tag = table_tag(table)
    return [n for n in names if (m := _STAGING_NAME.fullmatch(n)) and m.group(2) == tag]


def _swap_in(
    conn: sa.Connection,
    dialect: Dialect,
    staged: _Staged,
    audit: _Audit | None,
    placed: list[str],
) -> tuple[int, int, bool]:
    """The one publishing transaction, under the table's (partition's) lock: rename a new audit
    table (``audit.staging``; its name goes to ``placed``) unless another publish created one,
    rename staging into place (new table) or remove the old rows and insert the staged ones;
    then replace the audit rows of what was replaced."""
    desc, where, existed = staged.desc, staged.where, staged.existed
    target = desc.sa_table()
    source = desc.sa_table(staged.staging)
    if conn.in_transaction():
        conn.commit()
    dialect.begin_publish(conn)
    exclusive = where is None or not existed  # creating a table excludes every other publish
    with (
        translated(desc.url, desc.schema, desc.name),
        dialect.publish_lock(conn, desc.name, desc.schema, where[1] if where else None, exclusive),
    ):
        if (
            audit is not None
            and audit.staging is not None
            and not dialect.has_table(conn, audit.desc.name, audit.desc.schema)
        ):
            dialect.rename(conn, audit.staging, audit.desc.name, audit.desc.schema)
            placed.append(audit.desc.name)
        created = not existed and not dialect.has_table(conn, desc.name, desc.schema)
        if created:
            replaced = 0
            dialect.rename(conn, staged.staging, desc.name, desc.schema)
        elif where is None:
            replaced = conn.execute(sa.select(sa.func.count()).select_from(target)).scalar_one()
            if dialect.can_swap(conn, desc.name, desc.schema):
                dialect.swap(conn, staged.staging, desc.name, desc.schema)
            else:
                dialect.clear(conn, desc.name, desc.schema)
                _insert_from(conn, target, source, desc.column_names)
        else:
            name, value = where
            replaced = conn.execute(sa.delete(target).where(target.c[name] == value)).rowcount
            _insert_from(conn, target, source, desc.column_names)
        audited = (
            write_audit(conn, dialect, audit.desc, audit.rows, audit.label)
            if audit is not None
            else 0
        )
        conn.commit()
    return int(replaced), audited, created


def _clean_up(
    conn: sa.Connection, dialect: Dialect, schema: str | None, names: list[str | None]
) -> None:
    """Roll back what is open and drop staging (and an audit table this call created but never
    published into). Best effort: a failure here must not hide the error being raised."""
    try:
        if conn.in_transaction():
            conn.rollback()
        for name in filter(None, names):
            _drop(conn, dialect, name, schema)
    except sa.exc.SQLAlchemyError as exc:
        warnings.warn(
            f"could not drop {names} in schema {schema!r} ({exc}); the next publish "
            "sweeps staging tables of dead sessions",
            RuntimeWarning,
            stacklevel=3,
        )


def _insert_from(
    conn: sa.Connection, target: sa.TableClause, source: sa.TableClause, names: list[str]
) -> None:
    conn.execute(sa.insert(target).from_select(names, sa.select(*(source.c[n] for n in names))))


def _drop(conn: sa.Connection, dialect: Dialect, name: str, schema: str | None) -> None:
    conn.execute(sa.schema.DropTable(sa.Table(name, sa.MetaData(), schema=schema), if_exists=True))
    conn.commit()
    with _active_lock:
        _active_staging.discard(name)


def sweep_staging(conn: sa.Connection, dialect: Dialect, schema: str | None) -> list[str]:
    """Drop staging tables in ``schema`` left by processes or sessions that no longer exist."""
    owners = {}
    for name in dialect.table_names(conn, schema):
        match = _STAGING_NAME.fullmatch(name)
        if match and name not in _active_staging:
            owners[name] = match.group(1)
    if not owners:
        return []
    alive = dialect.live_owners(conn, set(owners.values()))
    own = dialect.session_owner(conn)
    stale = [n for n, owner in owners.items() if owner not in alive or owner == own]
    for name in stale:
        _drop(conn, dialect, name, schema)
    return stale
