"""Fill a table (or one partition) with the stored models and publish it write-audit-publish.

No orchestrator here: the imputed-table asset (and the CLI) call :func:`fill_and_publish` and
turn the :class:`FillRecord` into their events.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from impute_assets.core.memory import release_free_memory
from impute_assets.pipeline.chunks import AuditOf, OnRows, Predicted, predict_in_chunks
from impute_assets.pipeline.context import TableContext, source_table
from impute_assets.pipeline.detect import left_reasons, unsupported_columns
from impute_assets.pipeline.model_fit import fitting_models
from impute_assets.pipeline.partitions import key_for_value, partition_filter
from impute_assets.pipeline.plan import fill_config, not_imputed, ordered, sequence_keys
from impute_assets.pipeline.records import (
    ColumnFill,
    ColumnLeft,
    FillRecord,
    MissingCounts,
)
from impute_assets.pipeline.schema_change import check_output_schema
from impute_assets.pipeline.spec import TableSpec
from impute_assets.pipeline.suite import (
    build_table_suite,
    reference_profile,
    validate_staging,
)

if TYPE_CHECKING:
    from impute_assets.core.imputer import Imputer
    from impute_assets.core.result import ColumnReport, FilledCells
    from impute_assets.quality import ValidationResult
    from impute_assets.warehouse import TableDescription, Warehouse
    from impute_assets.warehouse.audit import AuditRows


class NothingToFill(LookupError):
    """The table (or the partition) has no rows: the fill is skipped, nothing is published
    (a partition's output and audit rows, if any, were deleted: ``removed``)."""

    def __init__(
        self, table: str, partition_key: str | None, removed: tuple[int, int] = (0, 0)
    ) -> None:
        where = (
            f"partition {partition_key!r} of table {table!r}"
            if partition_key is not None
            else f"table {table!r}"
        )
        gone = (
            f"; its {removed[0]} output rows and {removed[1]} audit rows were deleted"
            if any(removed)
            else ""
        )
        super().__init__(f"{where} has no rows: nothing to fill, skipped{gone}")
        self.removed = removed


class ValidationFailed(RuntimeError):
    """The filled rows failed their expectations; nothing was published."""

    def __init__(self, table: str, result: ValidationResult) -> None:
        super().__init__(
            f"table {table!r}: validation failed, nothing published\n{result.explain()}"
        )
        self.result = result


def fill_and_publish(
    ctx: TableContext,
    columns: list[str],
    partition_key: str | None = None,
    run_id: str = "",
    on_rows: OnRows | None = None,
    dry_run: bool = False,
    retrain: Callable[[list[str]], object] | None = None,
) -> FillRecord:
    """Read the rows, fill them with each column's latest stored model, validate the staged
    result and publish it with its audit rows (nothing is published when validation fails).

    Each model is first checked against the rows it fills (schema, kinds, target and input
    drift); a stale one is retrained with ``retrain`` when the run may train (it gets the stale
    columns), else :class:`~impute_assets.pipeline.model_fit.StaleModels` is raised.
    Rows are predicted in chunks; each chunk logs a progress line and calls ``on_rows``. The
    whole fill holds the warehouse's fill lock of the table partition (``Warehouse.fill_lock``):
    two fills of one partition, from any processes, run one after the other, whatever the
    orchestrator's concurrency settings; fills of other partitions run side by side.
    A table or partition with no rows raises :class:`NothingToFill` (the faces skip it); a
    partition's source rows being gone, its rows in the output table and its audit rows are
    deleted first, in one transaction (not on a dry run).
    ``dry_run``: everything but the publish; the filled rows are validated as a frame, the
    would-be fills (the audit rows) replace the preview table (``spec.preview_name``) and the
    output and audit tables are not touched.
    """
    spec = ctx.spec
    partition = partition_filter(spec, partition_key)
    label = f"{spec.output_name}" + (f" [{partition_key}]" if partition_key else "")
    with ctx.warehouse.fill_lock(spec.output_name, spec.db_schema, partition):
        ctx.log.info(f"{label}: {FILL_STARTED}")
        record = _fill_and_publish(ctx, columns, partition_key, run_id, on_rows, dry_run, retrain)
        if not dry_run:
            ctx.log.info(f"{label}: {FILL_DONE} {record.cells_filled} cells")
    return record


#: Log lines that open and close a fill, inside its lock.
FILL_STARTED = "fill started (holding the partition's fill lock)"
FILL_DONE = "published; filled"


def _fill_and_publish(
    ctx: TableContext,
    columns: list[str],
    partition_key: str | None,
    run_id: str,
    on_rows: OnRows | None,
    dry_run: bool,
    retrain: Callable[[list[str]], object] | None,
) -> FillRecord:
    from impute_assets.core.imputer import Imputer
    from impute_assets.quality import fills_finite, observed_unchanged, validate_frame

    ctx = ctx.described()  # every read of the source, its checks and the publish share it
    spec, warehouse, store, log, described = ctx.spec, ctx.warehouse, ctx.store, ctx.log, ctx.source
    partition = partition_filter(spec, partition_key)
    check_output_schema(spec, warehouse, described)
    raw = warehouse.read(described, partition=partition, nan_as_missing=False)
    if raw.empty:
        removed = (0, 0)
        if partition is not None and not dry_run:
            removed = warehouse.remove_partition(
                spec.output_name, partition, spec.db_schema, spec.audit_name, partition_key
            )
        raise NothingToFill(spec.table, partition_key, removed)
    raw = ordered(spec, raw).reset_index(drop=True)
    source = _nan_as_missing(raw)
    stored = fitting_models(spec, store, columns, source, partition_key, retrain)
    without = sorted(set(columns) - set(stored))
    unfilled = not_imputed(spec, source, without, ctx.device)  # left as read, with why
    missing_models = [c for c in without if c not in unfilled]
    if missing_models:
        raise LookupError(
            f"table {spec.table!r}: no stored model for {missing_models}; materialize their model "
            "assets first"
        )
    models = {c: store.load(spec.store_name, c, s.version) for c, s in stored.items()}
    config = fill_config(spec, list(models), ctx.device)
    context = boundary_rows(spec, warehouse, partition, described)
    where = f" [{partition_key}]" if partition_key else ""
    imputer = Imputer.from_column_models(models, config) if models else None
    at = dt.datetime.now(dt.UTC)  # every audit row's time

    def audit_of(rows: pd.DataFrame, cells: FilledCells, imputed: pd.DataFrame) -> AuditRows:
        marked = _leave_structural_gaps(spec, rows, imputed)
        return _audit_cells(spec, rows, cells, marked, partition_key, run_id, at)

    filled, imputed, confidence, cells, reports, reasons = _predicted(
        spec,
        imputer,
        source,
        context,
        f"{spec.output_name}{where}",
        log,
        on_rows,
        list(stored),
        audit_of,
    )
    release_free_memory()  # the predicted chunks' freed memory
    left = {c: int(filled[c].isna().sum()) for c in stored}
    suite = build_table_suite(spec, source, reference_profile(spec, store, stored), stored, left)
    checked: list[ValidationResult] = []

    on_frames = (observed_unchanged(source, filled), fills_finite(filled, imputed))

    def with_frame_checks(result: ValidationResult) -> ValidationResult:
        for outcome in on_frames:
            result = result.including(outcome)
        return result

    def audit(staging: Any) -> None:
        checked.append(with_frame_checks(validate_staging(staging, suite)))
        release_free_memory()  # the validated read-back's, before the audit rows are loaded
        if not checked[-1].success:
            raise ValidationFailed(spec.output_name, checked[-1])

    missing = {c: int(source[c].isna().sum()) for c in stored}
    left_columns = _left_columns(spec, described, source, list(stored), unfilled)
    output = _observed_kept(raw, filled, imputed)
    del raw, source  # what was read, once the output is made of it: off the publish's peak
    published = preview = None
    if dry_run:
        checked.append(with_frame_checks(validate_frame(output, suite)))
        preview = warehouse.publish(cells.to_pandas(), spec.preview_name, schema=spec.db_schema)
        log.info(
            f"{spec.output_name}{where}: dry run, {len(cells)} would-be fills written to "
            f"{spec.preview_name}; {spec.output_name} and {spec.audit_name} untouched"
        )
    else:
        published = warehouse.publish(
            output,
            spec.output_name,
            schema=spec.db_schema,
            partition=partition,
            validate=audit,
            audit=cells,
            audit_table=spec.audit_name,
            like=described,
            key=spec.key,
            audit_key=partition_key,
        )
    record = FillRecord(
        table=spec.table,
        output_table=spec.output_name,
        audit_table=spec.audit_name,
        partition=partition_key,
        rows=len(filled),
        columns=tuple(
            ColumnFill.of(
                reports[c],
                stored[c],
                missing=missing[c],
                filled=int(imputed[c].sum()),
                left=left[c],
                mean_confidence=confidence[c],
                reasons=reasons.get(c, {}),
            )
            for c in stored
        ),
        audit_rows=int(published.audit_rows) if published is not None else 0,
        validation=checked[-1] if checked else None,
        publish=published,
        filled=filled,
        imputed=imputed,
        left_columns=left_columns,
        dry_run=dry_run,
        preview_table=spec.preview_name if dry_run else None,
        preview_rows=int(preview.rows_written) if preview is not None else 0,
    )
    return record


def _predicted(
    spec: TableSpec,
    imputer: Imputer | None,
    source: pd.DataFrame,
    context: pd.DataFrame | None,
    label: str,
    log: logging.Logger | Any,
    on_rows: OnRows | None,
    columns: list[str],
    audit: AuditOf,
) -> tuple[
    pd.DataFrame,
    pd.DataFrame,
    dict[str, float | None],
    AuditRows,
    dict[str, ColumnReport],
    dict[str, dict[str, int]],
]:
    """The filled frame, which cells were filled (structural gaps unmarked), the mean
    confidence of each of ``columns``' filled cells (None: none filled; a mean, not a
    1M-row frame), the filled cells' audit rows (made by ``audit`` a chunk at a time), core's
    report of each column (see :func:`~impute_assets.pipeline.chunks.merged_reports`) and per
    column the cells left and why (structural gaps included). The filled frame shares every
    column no model fills with ``source`` (at 1M rows a copy is a few hundred MB). Without
    an ``imputer`` (no column to impute) nothing is filled."""
    if imputer is None:
        log.info(f"{label}: no column to impute; published as it is")
        result = Predicted.unfilled(source)
    else:
        result = predict_in_chunks(
            imputer, source, context, label, log, on_rows=on_rows, audit=audit
        )
    imputed = _leave_structural_gaps(spec, source, result.imputed)
    # a structural gap core filled is a gap again (only those columns' cells are unmarked)
    filled = result.frame.copy(deep=False)
    for column in dict.fromkeys(c for gap in spec.structural for c in gap.columns):
        if column in filled.columns:
            kept = imputed[column] | source[column].notna()
            filled[column] = filled[column].where(kept, source[column])
    reasons = {c: dict(r.reasons) for c, r in result.reports.items()}
    for gap in spec.structural:
        for column in gap.columns:
            unmarked = (
                int((result.imputed[column] & ~imputed[column]).sum()) if column in imputed else 0
            )
            if unmarked:
                why = f"structural gap (where {gap.when_missing} is null)"
                reasons.setdefault(column, {})[why] = reasons.get(column, {}).get(why, 0) + unmarked
    return (
        filled,
        imputed,
        {c: _mean(result.confidence[c].where(imputed[c])) for c in columns},
        result.cells,
        result.reports,
        reasons,
    )


def _left_columns(
    spec: TableSpec,
    described: TableDescription,
    source: pd.DataFrame,
    imputed: list[str],
    unfilled: Mapping[str, str],
) -> tuple[ColumnLeft, ...]:
    """The columns with gaps no model fills here, each with its count and reason
    (``unfilled``: those no model fills as the engine reads them, with why)."""
    nulls = {str(c): int(n) for c, n in source.isna().sum().items()}
    counts = MissingCounts(
        spec.table, len(source), nulls, unsupported=unsupported_columns(described)
    )
    reasons = {**left_reasons(spec, counts, imputed), **unfilled}
    return tuple(ColumnLeft(c, nulls[c], reason) for c, reason in reasons.items())


#: Rows per sequence group read from the previous partition as neighbours in time.
BOUNDARY_ROWS = 24


def boundary_rows(
    spec: TableSpec,
    warehouse: Warehouse,
    partition: tuple[str, str | None] | None,
    source: TableDescription | None = None,
) -> pd.DataFrame | None:
    """The last rows of each group in the partition before ``partition``, when rows form
    sequences: the first hour of a new day still sees the last hours of the previous one (the
    rows with a NULL partition value have no previous partition). ``source``: the table's
    description, when the caller has it."""
    order, groups = sequence_keys(spec)
    if order is None or partition is None or partition[1] is None:
        return None
    column, value = partition
    table = source_table(spec, source)
    values = warehouse.partitions(table, column, schema=spec.db_schema)
    earlier = sorted((v for v in values if _natural(v) < _natural(value)), key=_natural)
    if not earlier:
        return None
    rows = warehouse.read(table, schema=spec.db_schema, partition=(column, earlier[-1]))
    rows = rows.sort_values(order, kind="stable")
    tail = (
        rows.groupby(groups, sort=False).tail(BOUNDARY_ROWS) if groups else rows.tail(BOUNDARY_ROWS)
    )
    return tail.reset_index(drop=True)


def _natural(value: str) -> tuple[int, float | str]:
    """Sort key for partition values: numbers by value (month 10 after 9), the rest as text."""
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)


def _nan_as_missing(raw: pd.DataFrame) -> pd.DataFrame:
    """The frame the models see: float columns as ``float64``, where NaN and NULL are both
    missing (the engine has no other notion of a float gap)."""
    floats = {c: "float64" for c, t in raw.dtypes.items() if _is_arrow_float(t)}
    return raw.astype(floats) if floats else raw


def _observed_kept(raw: pd.DataFrame, filled: pd.DataFrame, imputed: pd.DataFrame) -> pd.DataFrame:
    """What is published: the filled frame, but every float cell that was not imputed as it was
    read, so a NaN stored in the source stays NaN (and is not written back as NULL)."""
    floats = {
        column: raw[column].mask(imputed[column], filled[column])
        if imputed[column].any()
        else raw[column]  # nothing filled: the column as read, shared, not copied
        for column, dtype in raw.dtypes.items()
        if _is_arrow_float(dtype)
    }
    return filled.assign(**floats)  # the other columns are shared with ``filled``, not copied


def _is_arrow_float(dtype: object) -> bool:
    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_floating(dtype.pyarrow_dtype)


def _leave_structural_gaps(
    spec: TableSpec, source: pd.DataFrame, imputed: pd.DataFrame
) -> pd.DataFrame:
    """Unmark cells the spec calls structural (e.g. a cancelled flight's arrival delay); without
    any, ``imputed`` itself (not a copy: 1M rows x 21 columns are 21 MB)."""
    if not spec.structural:
        return imputed
    imputed = imputed.copy()
    for gap in spec.structural:
        rows = source[gap.when_missing].isna()
        for column in gap.columns:
            if column in imputed.columns:
                imputed.loc[rows, column] = False
    return imputed


def _audit_cells(
    spec: TableSpec,
    source: pd.DataFrame,
    cells: FilledCells,
    imputed: pd.DataFrame,
    partition_key: str | None,
    run_id: str,
    at: dt.datetime,
) -> AuditRows:
    """The warehouse audit rows of the cells still marked filled (structural gaps dropped) of
    ``source``'s rows (a chunk of the table's).

    Each row carries its partition's key, also in a whole-table publish of a partitioned table:
    a later publish of one partition then replaces exactly that partition's audit rows.
    """
    from impute_assets.warehouse.audit import audit_rows

    rows = imputed.index.get_indexer(cells.frame["row"])
    columns = imputed.columns.get_indexer(cells.frame["column"])
    marked = imputed.to_numpy()[rows, columns]
    cells, rows = cells.where(marked), rows[marked]
    part = spec.partition
    partition: object = partition_key
    if partition_key is None and part is not None:
        values = source[part.column].take(rows)
        partition = [None if pd.isna(v) else key_for_value(part, v) for v in values]
    return audit_rows(
        cells,
        source,
        spec.key,
        run_id=run_id,
        table=spec.table,
        schema=spec.db_schema,
        partition=partition,
        at=at,
    )


def _mean(series: pd.Series) -> float | None:
    value = series.dropna()
    return float(value.mean()) if len(value) else None
