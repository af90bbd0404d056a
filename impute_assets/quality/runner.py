"""Run a suite with Great Expectations 1.x: on a DataFrame, or in the warehouse itself.

PostgreSQL, SQLite and MySQL tables are validated through GE's SQL datasource, so no rows are
pulled into Python. DuckDB tables are read into a DataFrame first: GE's SQL datasource returns
no rows from duckdb_engine (GE issue 10738). GE is imported here, lazily, and every run gets
a fresh ephemeral context with progress bars and analytics off.
"""

from __future__ import annotations

import decimal
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from impute_assets.core.datetimes import naive_utc
from impute_assets.core.encoding.encoders import decimals_as_floats
from impute_assets.quality import ks
from impute_assets.quality.result import ExpectationOutcome, ValidationResult
from impute_assets.quality.suite import KS_TYPE, ExpectationSpec, Suite
from impute_assets.warehouse.warehouse import Warehouse

if TYPE_CHECKING:
    from great_expectations.core.batch import Batch
    from great_expectations.data_context import AbstractDataContext

#: GE's INFO lines are its own bookkeeping (hundreds of "Skipping registering function ..." on
#: import, "Created temporary directory ... for ephemeral docs site" per context), which
#: Dagster, Airflow and the CLI would show in every run's log; its warnings and errors still
#: show. A level the user set on the ``great_expectations`` logger is kept. (GE sets the docs
#: site module's logger to INFO itself when imported, so that one gets a filter.) GE's
#: WARNING "Using lossy conversion for decimal ... to float" is dropped too: validating in
#: PostgreSQL, every mean or stdev of a numeric or integer column comes back as a ``Decimal``
#: that GE reads as a float, once per metric and run, with nothing for the user to do.
_GE_LOGGER = logging.getLogger("great_expectations")
if _GE_LOGGER.level == logging.NOTSET:
    _GE_LOGGER.setLevel(logging.WARNING)
    logging.getLogger("great_expectations.data_context.types.base").addFilter(
        lambda record: record.levelno >= logging.WARNING
    )
    logging.getLogger("great_expectations.util").addFilter(
        lambda record: not str(record.msg).startswith("Using lossy conversion for decimal")
    )

#: How many unexpected values each outcome keeps as examples.
EXAMPLES = 5
#: GE's "unexpected index query" (SQL text for the user to paste) is not asked for: GE renders it
#: by substituting ``repr(value)`` through ``re.sub``, which fails on any value whose repr holds
#: a backslash escape (U+00A0, U+200B, U+2028, U+202E: ``bad escape \x``), failing the check.
_RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": EXAMPLES,
    "return_unexpected_index_query": False,
}
_INDEX_KEY = "impute_assets_index"

CountsBelow = Callable[[str, Sequence[float]], tuple[list[int], int]]


def validate_frame(df: pd.DataFrame, suite: Suite) -> ValidationResult:
    """Validate an in-memory frame against ``suite``."""
    _require_columns(suite, df.columns, "the frame")
    df = _comparable(df[columns_read(suite, df.columns)], suite.columns)
    context = _context()
    asset = context.data_sources.add_pandas("frame").add_dataframe_asset("frame")
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": df}
    )
    return _run(suite, batch, lambda col, edges: ks.counts_below_in_frame(df[col], edges),
                engine="dataframe")  # fmt: skip


#: Table-level expectations that read no column (the others may read any: they get them all).
_ROW_COUNT_ONLY = frozenset(
    {"expect_table_row_count_to_equal", "expect_table_row_count_to_be_between"}
)


def columns_read(suite: Suite, available: Sequence[str]) -> list[str]:
    """The columns of ``available`` the suite's expectations read (named by a ``column...``
    argument); every column when one of them is about the table's columns. GE fingerprints the
    whole frame it is given (over half of validating 1M rows x 21 columns), so it gets only
    these, and a staging table is read back with only these."""
    if any(
        e.type.startswith("expect_table_") and e.type not in _ROW_COUNT_ONLY
        for e in suite.expectations
    ):
        return list(available)
    named: set[str] = set()
    for spec in suite.expectations:
        for key, value in spec.kwargs.items():
            if not key.startswith("column"):
                continue
            values = [value] if isinstance(value, str) else value
            if isinstance(values, list | tuple):  # not e.g. column_index=3
                named.update(v for v in values if isinstance(v, str))
    return [c for c in available if c in named]


def _comparable(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``df`` with the suite's decimal columns as ``float64`` and timestamps as naive UTC in
    nanoseconds (the suite's datetime bounds are naive UTC); other columns are shared.

    GE converts decimals itself, one ``inspect.stack()`` call per value (minutes at 100k
    rows), cannot compare a tz-aware column with naive bounds, and compares datetimes of
    other units one value at a time.
    """
    changed = {}
    for name in columns:
        series = df[name]
        series = naive_utc(series)
        if pd.api.types.is_datetime64_dtype(series.dtype):
            try:
                changed[name] = series.astype("datetime64[ns]")
            except pd.errors.OutOfBoundsDatetime:  # beyond 2262: compared value by value
                changed[name] = series
        elif _is_decimal(series):
            # Arrow decimals through Arrow's cast: the same floats, 1 s faster per million
            changed[name] = decimals_as_floats(series).astype(float)
    return df.assign(**changed) if changed else df


def _is_decimal(series: pd.Series) -> bool:
    """Arrow decimals, or Python ``Decimal`` objects in an object column."""
    if isinstance(series.dtype, pd.ArrowDtype):
        return pa.types.is_decimal(series.dtype.pyarrow_dtype)
    if series.dtype != object:
        return False
    first = series.dropna().head(1)
    return len(first) == 1 and isinstance(first.iloc[0], decimal.Decimal)


def validate_table(
    warehouse: Warehouse | str | sa.URL,
    table: str,
    suite: Suite,
    schema: str | None = None,
    partition: tuple[str, object] | None = None,
) -> ValidationResult:
    """Validate a warehouse table, in the warehouse where GE supports the dialect.

    Args:
        warehouse: the :class:`Warehouse` (or its SQLAlchemy URL, with its password: GE opens
            its own engine from it).
        table: table name (e.g. the write-audit-publish staging table).
        suite: what to check.
        schema: the table's schema, if not the default one.
        partition: ``(column, value)``: validate only the rows where ``column = value`` (in
            SQL the value is compared as a text literal, which the engines coerce to the column
            type).

    GE is given a query of only the columns the suite reads: it compiles the type of every
    column it sees, and fails on types SQLAlchemy cannot render (xml, point, geometry, ...)
    that no imputed column has. Engines without a GE SQL data source (DuckDB) are read by the
    warehouse into a DataFrame.
    """
    if not isinstance(warehouse, Warehouse):
        with Warehouse(warehouse) as opened:
            return validate_table(opened, table, suite, schema, partition)
    name = f"{schema}.{table}" if schema else table
    datasource = warehouse.dialect.ge_datasource
    if datasource is None:
        frame = warehouse.read(table, schema=schema, partition=partition)
        return _named(validate_frame(frame, suite), name, "dataframe")
    selectable = _rows(warehouse.engine, table, schema, partition)
    with warehouse.connect(table, schema) as conn:
        if not warehouse.dialect.has_table(conn, table, schema):
            raise LookupError(f"table {name!r} not found in {warehouse.masked_url}")
        types = _column_types(conn, table, schema)
        columns = list(types)
        _require_columns(suite, columns, f"table {name!r}")
        context = _context()
        connection_string = warehouse.engine.url.render_as_string(hide_password=False)
        source = getattr(context.data_sources, datasource)(
            "warehouse",
            connection_string=connection_string,
            kwargs=warehouse.dialect.ge_engine_kwargs(),
        )
        read = [_as_compared(c, types[c]) for c in columns_read(suite, columns)] or [sa.literal(1)]
        query = sa.select(*read).select_from(selectable)
        sql = str(query.compile(warehouse.engine, compile_kwargs={"literal_binds": True}))
        asset = source.add_query_asset(name="table", query=sql)
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        result = _run(suite, batch,
                      lambda col, edges: ks.counts_below_in_sql(conn, selectable, col, edges),
                      engine="sql")  # fmt: skip
        return _named(result, name, "sql")


def _column_types(
    conn: sa.Connection, table: str, schema: str | None
) -> dict[str, sa.types.TypeEngine]:
    """The table's columns and their types (types SQLAlchemy does not know are read as
    ``NullType``, no concern here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # "Did not recognize type 'xml'"
        return {c["name"]: c["type"] for c in sa.inspect(conn).get_columns(table, schema)}


def _as_compared(name: str, type_: sa.types.TypeEngine) -> sa.ColumnElement:
    """A column as GE reads it: an enum as its text (PostgreSQL has no ``enum <> varchar``
    operator for GE's in-set check to use)."""
    column = sa.column(name)
    return sa.cast(column, sa.Text).label(name) if isinstance(type_, sa.Enum) else column


def _rows(
    engine: sa.Engine, table: str, schema: str | None, partition: tuple[str, object] | None
) -> sa.FromClause:
    """The table, or the subquery of one partition's rows.

    The value is written as an untyped SQL string literal (quoted by the dialect), so each
    engine coerces it to the column's type: ``'3'`` matches an integer 3, ``'2013-01-01'`` a date.
    """
    whole = sa.table(table, schema=schema)
    if partition is None:
        return whole
    column, value = partition
    text = sa.literal(str(value), sa.String()).compile(
        dialect=engine.dialect, compile_kwargs={"literal_binds": True}
    )
    where = sa.column(column) == sa.literal_column(str(text))
    return sa.select(sa.text("*")).select_from(whole).where(where).subquery("partition_rows")


def _context() -> AbstractDataContext:
    """A fresh ephemeral GE context, quiet: no analytics, no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _decimals_looked_for_by_dtype()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _decimals_looked_for_by_dtype() -> None:
    """Make GE's pandas mean, stdev and sum look for ``Decimal`` values only in object arrays.

    GE (1.x, ``great_expectations.util.does_ndarray_contain_decimal_dtype``) checks every value
    of every column those metrics read with ``isinstance(value, Decimal)``, float64 columns
    included: 3 to 4 s of a 1M-row table's validation. An array of a numeric dtype holds no
    ``Decimal``; the check is kept, as it was, for object arrays. Done once per process.
    """
    import great_expectations.util as ge_util

    original = ge_util.does_ndarray_contain_decimal_dtype
    if getattr(original, "by_dtype", False):
        return

    def contains_decimal(data: Any) -> bool:
        numeric = isinstance(data, np.ndarray) and data.dtype.kind in "biufcmM"
        return not numeric and original(data)

    contains_decimal.by_dtype = True  # type: ignore[attr-defined]
    ge_util.does_ndarray_contain_decimal_dtype = contains_decimal


def _run(suite: Suite, batch: Batch, counts_below: CountsBelow, engine: str) -> ValidationResult:
    """Run GE's expectations on ``batch`` and the KS checks with ``counts_below``."""
    import great_expectations as gx

    outcomes: dict[int, ExpectationOutcome] = {}
    ge_suite = gx.ExpectationSuite(name=suite.name)
    for i, spec in enumerate(suite.expectations):
        if spec.type == KS_TYPE:
            outcomes[i] = ks.evaluate(spec, *counts_below(spec.column, spec.kwargs["edges"]))
        else:
            ge_suite.add_expectation(_to_ge(spec, i, suite.name))
    if ge_suite.expectations:
        validation = batch.validate(ge_suite, result_format=_RESULT_FORMAT)
        for er in validation.results:
            i = int(er.expectation_config.meta[_INDEX_KEY])
            outcomes[i] = _outcome(suite.expectations[i], er.success, er.result, er.exception_info)
    results = tuple(outcomes[i] for i in sorted(outcomes))
    success = all(r.success for r in results if r.check in suite.blocking)
    return ValidationResult(suite=suite.name, success=success, results=results, engine=engine,
                            blocking=suite.blocking)  # fmt: skip


def _to_ge(spec: ExpectationSpec, index: int, suite_name: str) -> Any:
    """The GE expectation object for ``spec``; unknown types are named in the error."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    kwargs = {k: _as_datetime(v) if k in ("min_value", "max_value") else v
              for k, v in spec.kwargs.items()}  # fmt: skip
    try:
        config = ExpectationConfiguration(type=spec.type, kwargs=kwargs, meta={_INDEX_KEY: index})
        return config.to_domain_obj()
    except Exception as exc:
        raise ValueError(
            f"suite {suite_name!r}: expectation {spec.type!r} on column {spec.column!r} "
            f"cannot be built by Great Expectations: {exc}"
        ) from exc


def _outcome(
    spec: ExpectationSpec, success: bool | None, result: dict, exception_info: dict
) -> ExpectationOutcome:
    error = _error(exception_info)
    return ExpectationOutcome.from_spec(
        spec,
        success=bool(success) and error is None,
        observed_value=result.get("observed_value"),
        unexpected_count=_count(result.get("unexpected_count")),
        unexpected_examples=result.get("partial_unexpected_list") or (),
        details={
            k: result[k]
            for k in ("element_count", "missing_count", "unexpected_percent")
            if k in result
        },
        error=error,
    )


def _count(value: Any) -> int | None:
    """GE's counts as ints (MySQL returns them as decimals/floats)."""
    return None if value is None else int(value)


def _error(exception_info: dict | None) -> str | None:
    """GE's exception message, from its flat or per-metric ``exception_info``."""
    if not exception_info:
        return None
    infos = [exception_info] if "raised_exception" in exception_info else exception_info.values()
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message") or "raised")
    return None


def _as_datetime(value: Any) -> Any:
    """ISO text bounds (datetime columns in the suite) as datetimes; others unchanged."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _require_columns(suite: Suite, available: Sequence[str], where: str) -> None:
    missing = [c for c in suite.columns if c not in set(available)]
    if missing:
        raise KeyError(f"suite {suite.name!r}: columns {missing} not in {where}")


def _named(result: ValidationResult, table: str, engine: str) -> ValidationResult:
    return replace(result, engine=engine, table=table)
