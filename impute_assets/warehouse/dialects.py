"""Per-engine differences, in one place: reflection, type mapping, NaN tests, staging DDL, locks.

Each supported engine (DuckDB, SQLite, PostgreSQL, MySQL/MariaDB) is a small ``Dialect``
subclass; everything else in the package is engine-neutral SQLAlchemy Core. Identifiers are only
ever rendered through the engine's SQLAlchemy ``IdentifierPreparer``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles

from impute_assets.core.kinds import ColumnKind


@dataclass(frozen=True)
class ReflectedColumn:
    """A column as the engine reports it: name, SQLAlchemy type, declared type text, nullability."""

    name: str
    type: sa.types.TypeEngine
    sql_type: str
    nullable: bool


def arrow_type(sql_type: sa.types.TypeEngine) -> pa.DataType | None:
    """The Arrow type that holds this SQL type losslessly, or None when it is unsupported."""
    if isinstance(sql_type, sa.Boolean):
        return pa.bool_()
    if isinstance(sql_type, sa.Integer):
        return pa.int64()
    if isinstance(sql_type, sa.Float):
        # Single precision (PostgreSQL real, MySQL FLOAT, DuckDB FLOAT) is read as float32: its
        # value, not its shortest decimal text parsed as a double (3.14 vs the engine's own
        # 3.1400001...), so ranges learned from the frame hold for the column in SQL.
        double = isinstance(sql_type, sa.Double) or (sql_type.precision or 0) > 24
        return pa.float64() if double else pa.float32()
    if isinstance(sql_type, sa.Numeric):
        precision, scale = sql_type.precision, sql_type.scale
        if precision is None or scale is None:
            return pa.float64()
        decimal = pa.decimal128 if precision <= 38 else pa.decimal256
        return decimal(precision, scale)
    if isinstance(sql_type, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if sql_type.timezone else None)
    if isinstance(sql_type, sa.Date):
        return pa.date32()
    if isinstance(sql_type, sa.Time):  # an Arrow time has no offset: timetz passes through
        return None if sql_type.timezone else pa.time64("us")
    if isinstance(sql_type, sa.String):  # VARCHAR, CHAR, TEXT, ENUM
        return pa.string()
    if isinstance(sql_type, sa.LargeBinary | sa.types._Binary):
        return pa.binary()
    return None


def sql_type_for(type_: pa.DataType) -> sa.types.TypeEngine:
    """A portable SQL type for an Arrow type (used only when the output table is new)."""
    if pa.types.is_boolean(type_):
        return sa.Boolean()
    if pa.types.is_integer(type_):
        return sa.BigInteger()
    if pa.types.is_floating(type_):
        return sa.Double()
    if pa.types.is_decimal(type_):
        return sa.Numeric(type_.precision, type_.scale)
    if pa.types.is_timestamp(type_):
        return sa.DateTime(timezone=type_.tz is not None)
    if pa.types.is_date(type_):
        return sa.Date()
    if pa.types.is_binary(type_):
        return sa.LargeBinary()
    return sa.Text()


def column_kind(sql_type: sa.types.TypeEngine, primary_key: bool = False) -> ColumnKind:
    """How the engine sees a SQL type; string columns default to categorical (core may refine)."""
    arrow = arrow_type(sql_type)
    if primary_key and arrow is not None:
        return ColumnKind.ID
    if arrow is None or pa.types.is_binary(arrow) or pa.types.is_time(arrow):
        return ColumnKind.UNSUPPORTED
    if pa.types.is_boolean(arrow) or pa.types.is_string(arrow):
        return ColumnKind.CATEGORICAL
    if pa.types.is_timestamp(arrow) or pa.types.is_date(arrow):
        return ColumnKind.DATETIME
    return ColumnKind.NUMERIC


#: Seconds a publish waits for another publish into the same table (MySQL's GET_LOCK).
LOCK_WAIT_SECONDS = 3600


#: How an engine moves rows in bulk (see :attr:`Dialect.transfer`).
Transfer = Literal["arrow", "csv_copy", "rows"]


def case_twins(names: Iterable[str]) -> tuple[str, str] | None:
    """The first two of ``names`` that differ only in case (``Class`` and ``class``), if any."""
    seen: dict[str, str] = {}
    for name in names:
        twin = seen.setdefault(name.casefold(), name)
        if twin != name:
            return twin, name
    return None


class Dialect:
    """Defaults shared by the engines that SQLAlchemy reflects correctly."""

    name = "generic"

    # -- what the engine is, known from its URL before any connection ------------------------
    #: The database is a file on this host's disk: other hosts cannot reach it.
    local_file: ClassVar[bool] = False
    #: One process at a time may open the file (DuckDB): engines do not pool, and a connection
    #: waits for another process's lock instead of failing.
    one_process: ClassVar[bool] = False
    #: How rows move in bulk, both ways: ``arrow`` (the driver scans and returns Arrow tables
    #: natively), ``csv_copy`` (COPY of CSV text through the driver), ``rows`` (DB-API
    #: executemany in, a lazy or server-side cursor out).
    transfer: ClassVar[Transfer] = "rows"
    #: The Great Expectations 1.x data source method (``context.data_sources.<name>``) that
    #: validates this engine's tables in SQL; None: its rows are validated as a DataFrame.
    ge_datasource: ClassVar[str | None] = None
    #: Floating-point columns hold infinities (MySQL and MariaDB refuse them).
    stores_infinity: ClassVar[bool] = True
    #: Column names that differ only in case are one name here (DuckDB, SQLite, MySQL).
    case_blind_names: ClassVar[bool] = False

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.preparer = engine.dialect.identifier_preparer

    def ge_engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``create_engine`` of the engine Great Expectations opens on
        this engine's URL (its data source's ``kwargs``)."""
        return {}

    # -- identifiers -------------------------------------------------------------------------
    # The preparer escapes ``%`` as ``%%`` for drivers with ``format`` placeholders (psycopg,
    # PyMySQL): right for ``exec_driver_sql`` (parameters always sent), wrong inside
    # ``sa.text()`` (escaped again: ``p%x`` becomes ``p%%x``, another table) and for raw cursor
    # statements sent without parameters (COPY): those use ``raw=True``.
    def qualified(self, name: str, schema: str | None, raw: bool = False) -> str:
        """``"schema"."name"`` quoted by the engine's preparer, for ``exec_driver_sql``
        (``raw=True``: for a driver cursor statement sent without parameters)."""
        quoted = self.preparer.quote(name)
        if schema:
            quoted = f"{self.preparer.quote_schema(schema)}.{quoted}"
        return self._unescape(quoted) if raw else quoted

    def column_list(self, names: Sequence[str], raw: bool = False) -> str:
        quoted = ", ".join(self.preparer.quote(n) for n in names)
        return self._unescape(quoted) if raw else quoted

    def _unescape(self, quoted: str) -> str:
        return quoted.replace("%%", "%") if self.preparer._double_percents else quoted

    def check_name(self, name: str) -> str | None:
        """Why ``name`` cannot name a table on this engine (too long), or None when it can."""
        limit = self.engine.dialect.max_identifier_length
        if limit and len(name.encode()) > limit:
            return (
                f"the name is {len(name.encode())} bytes long and {self.name} allows "
                f"{limit} (it would be cut short silently); choose a shorter output name"
            )
        return None

    # -- reflection --------------------------------------------------------------------------
    def default_schema(self, conn: sa.Connection) -> str | None:
        return sa.inspect(conn).default_schema_name

    def reflect(
        self, conn: sa.Connection, table: str, schema: str | None
    ) -> tuple[list[ReflectedColumn], list[str]]:
        """Columns and primary key; raises ``sa.exc.NoSuchTableError`` when absent."""
        inspector = sa.inspect(conn)
        with warnings.catch_warnings():  # the type is named by ``declared_types`` instead
            warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
            reflected = inspector.get_columns(table, schema=schema)
        declared = (
            self.declared_types(conn, table, schema)
            if any(isinstance(c["type"], sa.types.NullType) for c in reflected)
            else {}
        )
        columns = [
            ReflectedColumn(
                c["name"],
                self.read_type(c["type"]),
                declared.get(c["name"]) or self.render_type(c["type"]),
                bool(c.get("nullable", True)),
            )
            for c in reflected
        ]
        primary_key = inspector.get_pk_constraint(table, schema=schema).get("constrained_columns")
        return columns, list(primary_key or [])

    def declared_types(self, conn: sa.Connection, table: str, schema: str | None) -> dict[str, str]:
        """Each column's type as the engine names it, for types SQLAlchemy does not know."""
        return {}

    def column_collation(
        self, conn: sa.Connection, table: str, schema: str | None, column: str
    ) -> str | None:
        """The collation of a text column where it may compare distinct values equal (None:
        the engine compares this column's text byte by byte)."""
        return None

    def has_table(self, conn: sa.Connection, table: str, schema: str | None) -> bool:
        return sa.inspect(conn).has_table(table, schema=schema)

    def table_names(self, conn: sa.Connection, schema: str | None) -> list[str]:
        return sa.inspect(conn).get_table_names(schema=schema)

    def read_type(self, sql_type: sa.types.TypeEngine) -> sa.types.TypeEngine:
        """The type to read a reflected column as (hook for engine quirks)."""
        if isinstance(sql_type, sa.Float) and sql_type.asdecimal:  # MySQL DOUBLE: keep floats
            return sa.Double()
        return sql_type

    def render_type(self, sql_type: sa.types.TypeEngine) -> str:
        try:
            return str(sql_type.compile(dialect=self.engine.dialect))
        except Exception:  # noqa: BLE001 - some reflected types cannot be rendered back
            return repr(sql_type)

    def validates_in_sql(
        self, names: Sequence[str], table: str = "", values: Sequence[str] = ()
    ) -> bool:
        """Whether Great Expectations' SQL datasource can validate ``table`` with these columns
        (and ``values``, partition values written into its query) here, else validate the rows
        as a DataFrame. GE renders names into SQL without doubling ``%``, which drivers with
        ``format`` placeholders (psycopg, PyMySQL) refuse, passes a query's text through
        ``text()`` once more, which doubles a ``%`` in a value twice (``'100%'`` matches no
        row), and reads ``Mass`` where a table also has ``mass`` (its column lookup ignores
        case)."""
        pyformat = self.engine.dialect.paramstyle in ("format", "pyformat")
        if pyformat and any("%" in name for name in [table, *names, *values]):
            return False
        return case_twins(names) is None

    # -- SQL expressions ---------------------------------------------------------------------
    def is_nan(self, column: sa.ColumnElement) -> sa.ColumnElement[bool] | None:
        """A condition true where a float column holds NaN, or None if the engine has no NaN."""
        return None

    def sample_order(self, columns: Sequence[sa.ColumnElement]) -> sa.ColumnElement:
        """An order that looks random but is the same on every read of the same rows (the md5 of
        each row's ``columns`` as text): a sample of unchanged data is the same sample, in the
        same order, so a seeded training run is reproducible."""
        parts = [sa.func.coalesce(self.as_text(c), "\\N") for c in columns]
        text = functools.reduce(lambda row, part: row + "|" + part, parts)
        return sa.func.md5(text)

    def as_text(self, column: sa.ColumnElement) -> sa.ColumnElement:
        """A column of an unsupported type, rendered as the engine's text."""
        return sa.cast(column, sa.String)

    # -- publishing --------------------------------------------------------------------------
    #: Whether RENAME TABLE can share the publishing transaction (MySQL's DDL commits it).
    renames_in_transaction = True

    def create_like(
        self,
        conn: sa.Connection,
        source: str,
        target: str,
        schema: str | None,
        columns: Sequence[ReflectedColumn],
        primary_key: Sequence[str],
        scratch: bool,
    ) -> None:
        """Create ``target`` empty with the column types (and keys) of ``source``.

        ``scratch``: the table is only ever staging, never renamed into place (may be unlogged).
        """
        conn.exec_driver_sql(
            f"CREATE TABLE {self.qualified(target, schema)} AS "
            f"SELECT * FROM {self.qualified(source, schema)} WHERE 1 = 0"
        )

    def add_key(
        self, conn: sa.Connection, table: str, schema: str | None, key: Sequence[str]
    ) -> None:
        """A unique index on ``key`` (a new output table whose source has no primary key)."""
        index_table = sa.Table(table, sa.MetaData(), *(sa.Column(k) for k in key), schema=schema)
        name = f"ia_key_{hashlib.sha1(f'{schema}.{table}'.encode()).hexdigest()[:12]}"
        sa.Index(name, *index_table.c, unique=True).create(conn)

    def clear(self, conn: sa.Connection, table: str, schema: str | None) -> None:
        """Remove every row inside the current transaction: DELETE, which readers holding an
        older snapshot do not see (PostgreSQL's TRUNCATE would show them an empty table)."""
        conn.execute(sa.delete(sa.table(table, schema=schema)))

    def can_swap(self, conn: sa.Connection, table: str, schema: str | None) -> bool:
        """Whether a full replace may DROP the table and RENAME staging in its place inside one
        transaction (transactional DDL, and nothing on the table a staging copy would lose)."""
        return False

    def swap(self, conn: sa.Connection, staging: str, table: str, schema: str | None) -> None:
        conn.execute(sa.schema.DropTable(sa.Table(table, sa.MetaData(), schema=schema)))
        self.rename(conn, staging, table, schema)

    def rename(self, conn: sa.Connection, old: str, new: str, schema: str | None) -> None:
        conn.exec_driver_sql(
            f"ALTER TABLE {self.qualified(old, schema)} RENAME TO {self.preparer.quote(new)}"
        )

    def begin_publish(self, conn: sa.Connection) -> None:
        """Settings for the publishing transaction, before it starts (hook for engines)."""

    @contextmanager
    def publish_lock(
        self,
        conn: sa.Connection,
        table: str,
        schema: str | None,
        partition: object = None,
        exclusive: bool = True,
    ) -> Iterator[None]:
        """Serialize publishes into one table (``exclusive``) or one partition of it.

        Default: a lock in this process; the engine's own write lock (DuckDB's file lock, SQLite's
        database lock) keeps other processes out.
        """
        with _local_lock(f"{self.engine.url}|{schema}|{table}"):
            yield

    @contextmanager
    def fill_lock(self, table: str, schema: str | None, partition: object = None) -> Iterator[None]:
        """Serialize whole fills (read, predict, publish) of one table partition across
        processes: held on a connection (or file) of its own, apart from the publish lock.

        Default (file engines, which write from one process at a time anyway): one lock file
        beside the database file, so fills into one database file take turns; in memory, a
        lock in this process.
        """
        database = self.engine.url.database
        if not database or database == ":memory:":
            with _local_lock(f"fill|{self.engine.url}|{schema}|{table}|{partition}"):
                yield
            return
        import filelock

        with filelock.FileLock(f"{database}.fill.lock", timeout=LOCK_WAIT_SECONDS):
            yield

    def lock_key(self, table: str, schema: str | None, *parts: object) -> bytes:
        """A digest naming a table (and partition) across processes on this server."""
        name = repr((self.engine.url.database, schema, table, *parts))
        return hashlib.blake2b(name.encode(), digest_size=16).digest()

    def session_owner(self, conn: sa.Connection) -> str:
        """A token naming whoever creates a staging table (to sweep it once they are gone)."""
        return f"p{os.getpid()}"

    def live_owners(self, conn: sa.Connection, owners: set[str]) -> set[str]:
        """The subset of ``owners`` still alive (a killed process leaves a dead owner)."""
        alive = set()
        for owner in owners:
            try:
                os.kill(int(owner[1:]), 0)
            except (ProcessLookupError, ValueError):
                continue
            except PermissionError:
                pass
            alive.add(owner)
        return alive


_local_locks: dict[str, threading.Lock] = {}
_local_locks_guard = threading.Lock()


@contextmanager
def _local_lock(name: str) -> Iterator[None]:
    with _local_locks_guard:
        lock = _local_locks.setdefault(name, threading.Lock())
    with lock:
        yield


class DuckDBDialect(Dialect):
    """DuckDB: SQLAlchemy reflection fails (pg_catalog.pg_collation), so read information_schema."""

    name = "duckdb"
    local_file = True
    one_process = True
    case_blind_names = True
    transfer = "arrow"
    # None: GE's SQL data source returns no rows from duckdb_engine (upstream GE issue 10738).
    ge_datasource = None

    _TYPES: ClassVar[dict[str, sa.types.TypeEngine]] = {
        "BOOLEAN": sa.Boolean(),
        "TINYINT": sa.SmallInteger(),
        "SMALLINT": sa.SmallInteger(),
        "INTEGER": sa.Integer(),
        "BIGINT": sa.BigInteger(),
        "UTINYINT": sa.SmallInteger(),
        "USMALLINT": sa.Integer(),
        "UINTEGER": sa.BigInteger(),
        "UBIGINT": sa.Numeric(20, 0),
        "FLOAT": sa.Float(),
        "REAL": sa.Float(),
        "DOUBLE": sa.Double(),
        "VARCHAR": sa.String(),
        "DATE": sa.Date(),
        "TIMESTAMP": sa.DateTime(),
        "TIMESTAMP_S": sa.DateTime(),
        "TIMESTAMP_MS": sa.DateTime(),
        "TIMESTAMP WITH TIME ZONE": sa.DateTime(timezone=True),
        "TIME": sa.Time(),
        "BLOB": sa.LargeBinary(),
    }
    # Not listed (passed through as text): HUGEINT (39 digits, beyond decimal128),
    # TIMESTAMP_NS (finer than microseconds), TIMETZ, INTERVAL, UUID, JSON, nested types.
    _DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        # duckdb_engine quotes by PostgreSQL's reserved words; DuckDB reserves more (``at``).
        self.preparer.reserved_words = self.preparer.reserved_words | _duckdb_keywords()

    def default_schema(self, conn: sa.Connection) -> str | None:
        return conn.execute(sa.text("SELECT current_schema()")).scalar_one()

    def _ischema_filter(self, conn: sa.Connection, schema: str | None) -> dict[str, str]:
        return {
            "schema": schema or self.default_schema(conn),
            "catalog": conn.execute(sa.text("SELECT current_database()")).scalar_one(),
        }

    def reflect(self, conn, table, schema):
        params = {**self._ischema_filter(conn, schema), "table": table}
        rows = conn.execute(
            sa.text(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_catalog = :catalog AND table_schema = :schema AND table_name = :table "
                "ORDER BY ordinal_position"
            ),
            params,
        ).all()
        if not rows:
            raise sa.exc.NoSuchTableError(table)
        columns = [
            ReflectedColumn(name, self.parse_type(data_type), data_type, nullable == "YES")
            for name, data_type, nullable in rows
        ]
        keys = conn.execute(
            sa.text(
                "SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = "
                ":catalog AND schema_name = :schema AND table_name = :table "
                "AND constraint_type = 'PRIMARY KEY'"
            ),
            params,
        ).all()  # DuckDB: drain every result
        return columns, list(keys[0][0]) if keys else []

    def parse_type(self, data_type: str) -> sa.types.TypeEngine:
        """A SQLAlchemy type for a DuckDB ``data_type`` string; NullType when unsupported."""
        match = self._DECIMAL.fullmatch(data_type)
        if match:
            return sa.Numeric(int(match.group(1)), int(match.group(2)))
        return self._TYPES.get(data_type, sa.types.NullType())

    def has_table(self, conn, table, schema):
        return table in self.table_names(conn, schema)

    def table_names(self, conn, schema):
        return list(
            conn.execute(
                sa.text(
                    "SELECT table_name FROM information_schema.tables WHERE table_catalog = :catalog "
                    "AND table_schema = :schema"
                ),
                self._ischema_filter(conn, schema),
            ).scalars()
        )

    def is_nan(self, column):
        return sa.func.isnan(column)

    def validates_in_sql(self, names, table="", values=()):
        return False  # GE closes the connection before fetching (upstream GE issue 10738)

    def create_like(self, conn, source, target, schema, columns, primary_key, scratch):
        # Carry NOT NULL and the primary key: a staging copy can then be swapped in (can_swap).
        super().create_like(conn, source, target, schema, columns, primary_key, scratch)
        name = self.qualified(target, schema)
        for column in columns:
            if not column.nullable and column.name not in primary_key:
                conn.exec_driver_sql(
                    f"ALTER TABLE {name} ALTER COLUMN "
                    f"{self.preparer.quote(column.name)} SET NOT NULL"
                )
        if primary_key:
            self.add_key(conn, target, schema, primary_key)

    def add_key(self, conn, table, schema, key):
        # DuckDB cannot rename a table that has an index: the key becomes the primary key.
        conn.exec_driver_sql(
            f"ALTER TABLE {self.qualified(table, schema)} ADD PRIMARY KEY ({self.column_list(key)})"
        )

    def can_swap(self, conn, table, schema):
        # DuckDB DDL is transactional and views bind late; defaults, UNIQUE/CHECK/foreign keys
        # and indexes would be lost by a swap, so tables with any of them are refilled instead.
        params = {**self._ischema_filter(conn, schema), "table": table}
        where = "database_name = :catalog AND schema_name = :schema AND table_name = :table"
        blockers = conn.execute(
            sa.text(
                f"SELECT (SELECT count(*) FROM duckdb_constraints() WHERE {where} AND "
                "constraint_type NOT IN ('NOT NULL', 'PRIMARY KEY')) + (SELECT count(*) FROM "
                f"duckdb_indexes() WHERE {where}) + (SELECT count(*) FROM information_schema.columns "
                "WHERE table_catalog = :catalog AND table_schema = :schema AND table_name = :table "
                "AND column_default IS NOT NULL)"
            ),
            params,
        ).scalar_one()
        return blockers == 0


class _SQLiteDouble(sa.Double):
    """SQLite's REAL or FLOAT: an 8-byte double (not single precision), declared as written."""

    cache_ok = True

    def __init__(self, declared: str) -> None:
        super().__init__()
        self.declared = declared


@compiles(_SQLiteDouble, "sqlite")
def _declared_double(type_: _SQLiteDouble, compiler: object, **kw: object) -> str:
    return type_.declared


def _sqlite_md5(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Give each SQLite connection the ``md5`` that :meth:`Dialect.sample_order` uses (SQLite
    has none built in): a training sample is then the same rows on every read, as elsewhere."""
    dbapi_connection.create_function(
        "md5", 1, lambda text: hashlib.md5(str(text).encode()).hexdigest(), deterministic=True
    )


class SQLiteDialect(Dialect):
    """SQLite: NaN is stored as NULL; CREATE TABLE AS SELECT loses declared types."""

    name = "sqlite"
    local_file = True
    ge_datasource = "add_sqlite"
    case_blind_names = True

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        if not sa.event.contains(engine, "checkout", _sqlite_md5):
            sa.event.listen(engine, "checkout", _sqlite_md5)

    def read_type(self, sql_type):
        if isinstance(sql_type, sa.Float) and not isinstance(sql_type, sa.Double):
            return _SQLiteDouble(self.render_type(sql_type))
        return super().read_type(sql_type)

    def create_like(self, conn, source, target, schema, columns, primary_key, scratch):
        sa.Table(
            target,
            sa.MetaData(),
            *(
                sa.Column(c.name, c.type, nullable=c.nullable, primary_key=c.name in primary_key)
                for c in columns
            ),
            schema=schema,
        ).create(conn)

    @contextmanager
    def publish_lock(self, conn, table, schema, partition=None, exclusive=True):
        # Take SQLite's write lock first: two deferred transactions that read before writing
        # would otherwise deadlock (one gets "database is locked").
        with super().publish_lock(conn, table, schema, partition, exclusive):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield


class PostgresDialect(Dialect):
    """PostgreSQL: staging tables are UNLOGGED (no WAL twice), owners are backend pids."""

    name = "postgresql"
    transfer = "csv_copy"
    ge_datasource = "add_postgres"

    def is_nan(self, column):
        return column == sa.literal_column("'NaN'::float8")

    def read_type(self, sql_type):
        # Unconstrained numeric holds any number of digits: no Arrow decimal (nor a float)
        # holds it exactly, so it passes through as text (declare numeric(p, s) to impute it).
        if (
            isinstance(sql_type, sa.Numeric)
            and not isinstance(sql_type, sa.Float)
            and sql_type.precision is None
        ):
            return sa.types.NullType()
        return super().read_type(sql_type)

    def declared_types(self, conn, table, schema):
        rows = conn.execute(
            sa.text(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = :table AND n.nspname = COALESCE(:schema, current_schema()) "
                "AND a.attnum > 0 AND NOT a.attisdropped"
            ),
            {"schema": schema, "table": table},
        )
        return dict(rows.all())

    def create_like(self, conn, source, target, schema, columns, primary_key, scratch):
        # LIKE keeps types, NOT NULL, CHECK, the primary key and unique indexes (not defaults,
        # which may name the source's sequences). Scratch tables skip the WAL (UNLOGGED).
        conn.exec_driver_sql(
            f"CREATE {'UNLOGGED ' if scratch else ''}TABLE {self.qualified(target, schema)} "
            f"(LIKE {self.qualified(source, schema)} INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )

    def begin_publish(self, conn):
        # READ COMMITTED: each statement after the lock sees what the previous holder committed
        # (under REPEATABLE READ the DELETE would miss its rows and both publishes survive).
        conn.execution_options(isolation_level="READ COMMITTED")

    @contextmanager
    def fill_lock(self, table, schema, partition=None):
        # A session advisory lock on a connection of its own: released on exit or when the
        # backend dies.
        key = _signed64(self.lock_key(table, schema, "fill", partition))
        with self.engine.connect() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_lock(key)))
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                conn.commit()

    @contextmanager
    def publish_lock(self, conn, table, schema, partition=None, exclusive=True):
        # Transaction-scoped advisory locks: released by COMMIT/ROLLBACK or a dead backend.
        table_key = _signed64(self.lock_key(table, schema))
        if exclusive:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(table_key)))
        else:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(table_key)))
            part_key = _signed64(self.lock_key(table, schema, partition))
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(part_key)))
        yield

    def session_owner(self, conn):
        return f"b{conn.execute(sa.text('SELECT pg_backend_pid()')).scalar_one()}"

    def live_owners(self, conn, owners):
        pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity")).scalars()
        return owners & {f"b{pid}" for pid in pids}


class MySQLDialect(Dialect):
    """MySQL/MariaDB: DDL auto-commits (publish uses DELETE + INSERT in an InnoDB transaction)."""

    name = "mysql"
    ge_datasource = "add_sql"
    stores_infinity = False
    case_blind_names = True

    def ge_engine_kwargs(self):
        # MySQL returns sums of integers and averages as DECIMAL: GE's histogram (the KL check:
        # one SUM(CASE ...) per bin), its unexpected counts and means. GE turns each Decimal
        # into a float through ``convert_decimal_to_float``, which walks ``inspect.stack()``
        # per value (half the CPU of test_partition_values[mysql]: 16 s, 9.5 s without). So
        # GE's own connection (PyMySQL, mysqlclient) reads DECIMAL as float, the value GE
        # would have made of it and the one the DataFrame path gives it (a DECIMAL column's
        # unexpected examples are numbers, not text). Other drivers keep Decimals.
        dbapi = self.engine.dialect.dbapi
        conversions = getattr(getattr(dbapi, "converters", None), "conversions", None)
        field_type = getattr(dbapi, "FIELD_TYPE", None)
        if not isinstance(conversions, dict) or field_type is None:
            return {}
        as_float = {field_type.DECIMAL: float, field_type.NEWDECIMAL: float}
        return {"connect_args": {"conv": {**conversions, **as_float}}}

    #: Spatial types: read as their stored bytes (SRID + WKB), which load back unchanged
    #: (``CAST(... AS CHAR)`` refuses them).
    _SPATIAL = frozenset(
        {
            "geometry",
            "point",
            "linestring",
            "polygon",
            "multipoint",
            "multilinestring",
            "multipolygon",
            "geometrycollection",
        }
    )

    def reflect(self, conn, table, schema):
        # SQLAlchemy parses SHOW CREATE TABLE and leaves backticks in names doubled.
        columns, primary_key = super().reflect(conn, table, schema)
        json = self._mariadb_json_columns(conn, table, schema)
        reflected = []
        for column in columns:
            name = column.name.replace("``", "`")
            type_, sql_type = column.type, column.sql_type
            if name in json:
                type_, sql_type = sa.types.NullType(), "JSON"
            elif isinstance(type_, sa.types.NullType) and sql_type.lower() in self._SPATIAL:
                type_ = sa.LargeBinary()
            reflected.append(ReflectedColumn(name, type_, sql_type, column.nullable))
        return reflected, [k.replace("``", "`") for k in primary_key]

    def declared_types(self, conn, table, schema):
        rows = conn.execute(
            sa.text(
                "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE "
                "TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :table"
            ),
            {"schema": schema, "table": table},
        )
        # Keyed as SQLAlchemy's reflection names them (backticks doubled, undone in reflect).
        return {name.replace("`", "``"): str(type_) for name, type_ in rows}

    def column_collation(self, conn, table, schema, column):
        return conn.execute(
            sa.text(
                "SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE "
                "TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :table "
                "AND COLUMN_NAME = :column"
            ),
            {"schema": schema, "table": table, "column": column},
        ).scalar()

    def _mariadb_json_columns(
        self, conn: sa.Connection, table: str, schema: str | None
    ) -> set[str]:
        """MariaDB's JSON is LONGTEXT with a ``json_valid`` check: not text to impute."""
        if not getattr(conn.dialect, "is_mariadb", False):
            return set()
        checks = conn.execute(
            sa.text(
                "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE "
                "CONSTRAINT_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :table"
            ),
            {"schema": schema, "table": table},
        ).scalars()
        return {
            m.group(1).replace("``", "`")
            for clause in checks
            if (m := re.fullmatch(r"json_valid\(`(.*)`\)", clause))
        }

    renames_in_transaction = False

    def read_type(self, sql_type):
        # BOOLEAN is TINYINT(1), which holds -128..127 (2 and -1 are not booleans): an integer.
        # BIGINT UNSIGNED exceeds int64: an exact decimal. TIME spans -838 h..838 h and SET
        # values are sets of members: both pass through as text.
        if isinstance(sql_type, mysql.TINYINT):
            return sa.SmallInteger()
        if isinstance(sql_type, mysql.BIGINT) and sql_type.unsigned:
            return sa.Numeric(20, 0)
        if isinstance(sql_type, sa.Time | mysql.SET):
            return sa.types.NullType()
        return super().read_type(sql_type)

    def create_like(self, conn, source, target, schema, columns, primary_key, scratch):
        conn.exec_driver_sql(
            f"CREATE TABLE {self.qualified(target, schema)} LIKE {self.qualified(source, schema)}"
        )

    def rename(self, conn, old, new, schema):
        conn.exec_driver_sql(
            f"RENAME TABLE {self.qualified(old, schema)} TO {self.qualified(new, schema)}"
        )

    @contextmanager
    def fill_lock(self, table, schema, partition=None):
        with (
            self.engine.connect() as conn,
            self._named_lock(
                conn, self.lock_key(table, schema, "fill", partition), f"fill of table {table!r}"
            ),
        ):
            yield

    @contextmanager
    def publish_lock(self, conn, table, schema, partition=None, exclusive=True):
        # GET_LOCK has no shared mode: one lock per table.
        with self._named_lock(conn, self.lock_key(table, schema), f"publish into table {table!r}"):
            yield

    @contextmanager
    def _named_lock(self, conn: sa.Connection, key: bytes, what: str) -> Iterator[None]:
        """GET_LOCK: a session lock, released in finally (and by the server when the
        connection dies)."""
        name = f"impute_assets:{key.hex()}"
        got = conn.execute(sa.select(sa.func.get_lock(name, LOCK_WAIT_SECONDS))).scalar()
        if got != 1:
            raise TimeoutError(
                f"another {what} held the lock {name!r} for over {LOCK_WAIT_SECONDS} s"
            )
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.release_lock(name)))

    def validates_in_sql(self, names, table="", values=()):
        # GE does not escape backticks in names either.
        return super().validates_in_sql(names, table, values) and not any("`" in n for n in names)

    def session_owner(self, conn):
        return f"c{conn.execute(sa.text('SELECT CONNECTION_ID()')).scalar_one()}"

    def live_owners(self, conn, owners):
        # Without the PROCESS privilege the process list shows only this user's sessions, so
        # another user's publish would look dead: then assume every owner alive (sweep nothing).
        grants = " ".join(row[0] for row in conn.execute(sa.text("SHOW GRANTS")))
        if "ALL PRIVILEGES ON *.*" not in grants and "PROCESS" not in grants:
            return set(owners)
        ids = conn.execute(sa.text("SELECT ID FROM information_schema.PROCESSLIST")).scalars()
        return owners & {f"c{i}" for i in ids}


def _signed64(digest: bytes) -> int:
    return int.from_bytes(digest[:8], "big", signed=True)


_DIALECTS: dict[str, type[Dialect]] = {
    d.name: d for d in (DuckDBDialect, SQLiteDialect, PostgresDialect, MySQLDialect)
}


@functools.cache
def _duckdb_keywords() -> frozenset[str]:
    """DuckDB's keywords that cannot stand unquoted as column names (asked of DuckDB itself)."""
    import duckdb

    rows = duckdb.sql(
        "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category <> 'unreserved'"
    ).fetchall()
    return frozenset(name for (name,) in rows)


def dialect_class(backend: str) -> type[Dialect]:
    """The Dialect class of a SQLAlchemy backend name (``url.get_backend_name()``): what an
    engine is, before one exists; unknown engines get the reflective defaults."""
    return _DIALECTS.get(backend, Dialect)


def dialect_for(engine: sa.Engine) -> Dialect:
    """The Dialect of an engine; unknown engines get the reflective defaults."""
    return dialect_class(engine.dialect.name)(engine)
