"""Per-engine differences, in one place: reflection, type mapping, NaN tests, staging DDL.

Each supported engine (DuckDB, SQLite, PostgreSQL, MySQL/MariaDB) is a small ``Dialect``
subclass; everything else in the package is engine-neutral SQLAlchemy Core. Identifiers are only
ever rendered through the engine's SQLAlchemy ``IdentifierPreparer``.
"""

from __future__ import annotations

import functools

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

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
        return pa.float64()
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
    if isinstance(sql_type, sa.Time):
        return pa.time64("us")
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


class Dialect:
    """Defaults shared by the engines that SQLAlchemy reflects correctly."""

    name = "generic"

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.preparer = engine.dialect.identifier_preparer

    # -- identifiers -------------------------------------------------------------------------
    def qualified(self, name: str, schema: str | None) -> str:
        """``"schema"."name"`` quoted by the engine's preparer (for raw driver statements)."""
        quoted = self.preparer.quote(name)
        return f"{self.preparer.quote_schema(schema)}.{quoted}" if schema else quoted

    def column_list(self, names: Sequence[str]) -> str:
        return ", ".join(self.preparer.quote(n) for n in names)

    # -- reflection --------------------------------------------------------------------------
    def default_schema(self, conn: sa.Connection) -> str | None:
        return sa.inspect(conn).default_schema_name

    def reflect(self, conn: sa.Connection, table: str,
                schema: str | None) -> tuple[list[ReflectedColumn], list[str]]:
        """Columns and primary key; raises ``sa.exc.NoSuchTableError`` when absent."""
        inspector = sa.inspect(conn)
        columns = [
            ReflectedColumn(c["name"], self.read_type(c["type"]), self.render_type(c["type"]),
                            bool(c.get("nullable", True)))
            for c in inspector.get_columns(table, schema=schema)
        ]
        primary_key = inspector.get_pk_constraint(table, schema=schema).get("constrained_columns")
        return columns, list(primary_key or [])

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

    # -- SQL expressions ---------------------------------------------------------------------
    def is_nan(self, column: sa.ColumnElement) -> sa.ColumnElement[bool] | None:
        """A condition true where a float column holds NaN, or None if the engine has no NaN."""
        return None

    def random(self) -> sa.ColumnElement:
        return sa.func.random()

    def as_text(self, column: sa.ColumnElement) -> sa.ColumnElement:
        """A column of an unsupported type, rendered as the engine's text."""
        return sa.cast(column, sa.String)

    # -- publishing --------------------------------------------------------------------------
    def create_empty_copy(self, conn: sa.Connection, source: str, target: str,
                          schema: str | None, columns: Sequence[ReflectedColumn],
                          primary_key: Sequence[str], staging: bool) -> None:
        """Create ``target`` with the same column types as ``source`` and no rows."""
        conn.execute(sa.text(
            f"CREATE TABLE {self.qualified(target, schema)} AS "
            f"SELECT * FROM {self.qualified(source, schema)} WHERE 1 = 0"))

    def clear(self, conn: sa.Connection, table: str, schema: str | None) -> None:
        """Remove every row of a table inside the current transaction."""
        conn.execute(sa.delete(sa.table(table, schema=schema)))

    def can_swap(self, conn: sa.Connection, table: str, schema: str | None) -> bool:
        """Whether a full replace may DROP the table and RENAME staging in its place inside one
        transaction (transactional DDL, and nothing on the table a staging copy would lose)."""
        return False

    def swap(self, conn: sa.Connection, staging: str, table: str, schema: str | None) -> None:
        conn.execute(sa.text(f"DROP TABLE {self.qualified(table, schema)}"))
        conn.execute(sa.text(f"ALTER TABLE {self.qualified(staging, schema)} "
                             f"RENAME TO {self.preparer.quote(table)}"))

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


class DuckDBDialect(Dialect):
    """DuckDB: SQLAlchemy reflection fails (pg_catalog.pg_collation), so read information_schema."""

    name = "duckdb"

    _TYPES: dict[str, sa.types.TypeEngine] = {
        "BOOLEAN": sa.Boolean(), "TINYINT": sa.SmallInteger(), "SMALLINT": sa.SmallInteger(),
        "INTEGER": sa.Integer(), "BIGINT": sa.BigInteger(), "UTINYINT": sa.SmallInteger(),
        "USMALLINT": sa.Integer(), "UINTEGER": sa.BigInteger(), "HUGEINT": sa.Numeric(38, 0),
        "UBIGINT": sa.Numeric(20, 0), "FLOAT": sa.Float(), "REAL": sa.Float(),
        "DOUBLE": sa.Double(), "VARCHAR": sa.String(), "DATE": sa.Date(),
        "TIMESTAMP": sa.DateTime(), "TIMESTAMP_S": sa.DateTime(), "TIMESTAMP_MS": sa.DateTime(),
        "TIMESTAMP_NS": sa.DateTime(), "TIMESTAMP WITH TIME ZONE": sa.DateTime(timezone=True),
        "TIME": sa.Time(), "BLOB": sa.LargeBinary(),
    }
    _DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        # duckdb_engine quotes by PostgreSQL's reserved words; DuckDB reserves more (``at``).
        self.preparer.reserved_words = self.preparer.reserved_words | _duckdb_keywords()

    def default_schema(self, conn: sa.Connection) -> str | None:
        return conn.execute(sa.text("SELECT current_schema()")).scalar_one()

    def _ischema_filter(self, conn: sa.Connection, schema: str | None) -> dict[str, str]:
        return {"schema": schema or self.default_schema(conn),
                "catalog": conn.execute(sa.text("SELECT current_database()")).scalar_one()}

    def reflect(self, conn, table, schema):
        params = {**self._ischema_filter(conn, schema), "table": table}
        rows = conn.execute(sa.text(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_catalog = :catalog AND table_schema = :schema AND table_name = :table "
            "ORDER BY ordinal_position"), params).all()
        if not rows:
            raise sa.exc.NoSuchTableError(table)
        columns = [ReflectedColumn(name, self.parse_type(data_type), data_type, nullable == "YES")
                   for name, data_type, nullable in rows]
        keys = conn.execute(sa.text(
            "SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = "
            ":catalog AND schema_name = :schema AND table_name = :table "
            "AND constraint_type = 'PRIMARY KEY'"), params).all()  # DuckDB: drain every result
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
        return list(conn.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = :catalog "
            "AND table_schema = :schema"), self._ischema_filter(conn, schema)).scalars())

    def is_nan(self, column):
        return sa.func.isnan(column)

    def create_empty_copy(self, conn, source, target, schema, columns, primary_key, staging):
        # Carry NOT NULL and the primary key: a staging copy can then be swapped in (can_swap).
        super().create_empty_copy(conn, source, target, schema, columns, primary_key, staging)
        name = self.qualified(target, schema)
        for column in columns:
            if not column.nullable and column.name not in primary_key:
                conn.execute(sa.text(f"ALTER TABLE {name} ALTER COLUMN "
                                     f"{self.preparer.quote(column.name)} SET NOT NULL"))
        if primary_key:
            conn.execute(sa.text(f"ALTER TABLE {name} ADD PRIMARY KEY "
                                 f"({self.column_list(primary_key)})"))

    def can_swap(self, conn, table, schema):
        # DuckDB DDL is transactional and views bind late; defaults, UNIQUE/CHECK/foreign keys
        # and indexes would be lost by a swap, so tables with any of them are refilled instead.
        params = {**self._ischema_filter(conn, schema), "table": table}
        where = "database_name = :catalog AND schema_name = :schema AND table_name = :table"
        blockers = conn.execute(sa.text(
            f"SELECT (SELECT count(*) FROM duckdb_constraints() WHERE {where} AND "
            "constraint_type NOT IN ('NOT NULL', 'PRIMARY KEY')) + (SELECT count(*) FROM "
            f"duckdb_indexes() WHERE {where}) + (SELECT count(*) FROM information_schema.columns "
            "WHERE table_catalog = :catalog AND table_schema = :schema AND table_name = :table "
            "AND column_default IS NOT NULL)"), params).scalar_one()
        return blockers == 0


class SQLiteDialect(Dialect):
    """SQLite: NaN is stored as NULL; CREATE TABLE AS SELECT loses declared types."""

    name = "sqlite"

    def create_empty_copy(self, conn, source, target, schema, columns, primary_key, staging):
        metadata = sa.MetaData()
        sa.Table(target, metadata, *(sa.Column(c.name, c.type, nullable=True) for c in columns),
                 schema=schema).create(conn)


class PostgresDialect(Dialect):
    """PostgreSQL: staging tables are UNLOGGED (no WAL twice), owners are backend pids."""

    name = "postgresql"

    def is_nan(self, column):
        return column == sa.literal_column("'NaN'::float8")

    def create_empty_copy(self, conn, source, target, schema, columns, primary_key, staging):
        conn.execute(sa.text(
            f"CREATE {'UNLOGGED ' if staging else ''}TABLE {self.qualified(target, schema)} AS "
            f"SELECT * FROM {self.qualified(source, schema)} WITH NO DATA"))

    def clear(self, conn, table, schema):
        # TRUNCATE is transactional in PostgreSQL and does not leave dead tuples behind.
        conn.execute(sa.text(f"TRUNCATE TABLE {self.qualified(table, schema)}"))

    def session_owner(self, conn):
        return f"b{conn.execute(sa.text('SELECT pg_backend_pid()')).scalar_one()}"

    def live_owners(self, conn, owners):
        pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity")).scalars()
        return owners & {f"b{pid}" for pid in pids}


class MySQLDialect(Dialect):
    """MySQL/MariaDB: DDL auto-commits (publish uses DELETE + INSERT in an InnoDB transaction)."""

    name = "mysql"

    def reflect(self, conn, table, schema):
        # SQLAlchemy parses SHOW CREATE TABLE and leaves backticks in names doubled.
        columns, primary_key = super().reflect(conn, table, schema)
        return ([ReflectedColumn(c.name.replace("``", "`"), c.type, c.sql_type, c.nullable)
                 for c in columns], [k.replace("``", "`") for k in primary_key])

    def read_type(self, sql_type):
        # BOOLEAN is TINYINT(1) in MySQL; read it back as a boolean.
        if isinstance(sql_type, mysql.TINYINT) and sql_type.display_width == 1:
            return sa.Boolean()
        return super().read_type(sql_type)

    def random(self):
        return sa.func.rand()

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


def dialect_for(engine: sa.Engine) -> Dialect:
    """The Dialect of an engine; unknown engines get the reflective defaults."""
    return _DIALECTS.get(engine.dialect.name, Dialect)(engine)
