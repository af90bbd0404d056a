"""The table's expectation suite: learned from the observed values of the rows being filled
(what the models were trained on only where those rows observe nothing), and run on the staged
or the published rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from impute_assets.pipeline.model_fit import columns_with_models
from impute_assets.pipeline.spec import TableSpec
from impute_assets.store import ModelStore, StoredModel

if TYPE_CHECKING:
    from impute_assets.core.profile import ColumnProfile, TableProfile
    from impute_assets.quality import ValidationResult
    from impute_assets.warehouse import Warehouse

#: Share of the observed range (or the training range, when wider) a fill may lie beyond the
#: observed minimum or maximum of the rows it fills.
RANGE_MARGIN = 0.1


def reference_profile(
    spec: TableSpec, store: ModelStore, stored: Mapping[str, StoredModel]
) -> TableProfile:
    """The observed values each column's model was trained on (stored with the model)."""
    from impute_assets.core.profile import TableProfile

    columns = {c: store.load_profile(spec.store_name, c, s.version)[c] for c, s in stored.items()}
    rows = max((p.count + p.missing for p in columns.values()), default=0)
    return TableProfile(columns=columns, rows=rows)


def build_table_suite(
    spec: TableSpec,
    observed: pd.DataFrame,
    reference: TableProfile,
    stored: Mapping[str, StoredModel],
    left: Mapping[str, int] | None = None,
) -> Any:
    """Expectations for the filled rows, learned from the observed values of the source rows
    (``observed``, e.g. one partition): the range and vocabulary checks judge fills against
    those rows' own observed values, so a model that fills ``red``/``blue`` where the partition
    observes ``green``/``yellow`` fails. A numeric range is the rows' own, widened on each side
    by :data:`RANGE_MARGIN` of the wider of their range and the training data's (an honest fill
    of a few rows may lie a little beyond the extremes those rows happen to hold). Where those
    rows show less than the model was trained on (``reference``), every fill must lie within
    the two together, and within the rows' own but for the few that chance alone would put
    beyond them (a partition of ten rows shows little of a column). Only a column with no
    observed value in the rows takes its range and vocabulary from ``reference`` alone.

    Cells left empty on purpose (structural gaps, cells the gates left: ``left`` per column,
    or, unknown, every source gap of a column not filled with ``fill: all``) are allowed: each
    such column's ``allowed_missing`` is raised to their share of its rows.
    Distributions are judged against the observed values alone, never against the fills
    themselves (a mean/mode fill is not its own reference).
    """
    from impute_assets.core.kinds import infer_kinds
    from impute_assets.core.profile import TableProfile
    from impute_assets.quality import build_suite

    columns = list(reference.columns)
    # only the columns the suite reads (the filled ones and those with tolerances of their
    # own): profiling all of a wide table's 1M rows would cost seconds for nothing
    wanted = {*columns, *spec.validation.column_tolerances}
    profiled = observed[[c for c in observed.columns if c in wanted]]
    kinds = infer_kinds(profiled, {c: k for c, k in spec.kinds.items() if c in profiled.columns})
    own = TableProfile.from_frame(profiled, kinds)
    observing = [c for c in columns if c in own.columns and own[c].count]
    judged = {c: _with_margin(own[c], reference[c]) if c in observing else reference[c]
              for c in columns}  # fmt: skip
    profile = TableProfile(
        columns={**own.columns, **judged}, rows=own.rows, bins=own.bins, top_k=own.top_k
    )
    return build_suite(
        profile,
        columns=columns,
        trained={c: _hull(own[c], reference[c]) for c in observing},
        tolerances=spec.validation.tolerances,
        column_tolerances=_with_left_cells(spec, observed, columns, left),
        extra=spec.validation.expectations,
        row_count=len(observed),
        block_distribution=spec.validation.distribution == "block",
    )


def _structural(spec: TableSpec, observed: pd.DataFrame, column: str) -> pd.Series:
    """Rows where ``column`` is a structural gap (left empty on purpose)."""
    structural = pd.Series(False, index=observed.index)
    for gap in spec.structural:
        if column in gap.columns:
            structural |= observed[gap.when_missing].isna() & observed[column].isna()
    return structural


def _with_margin(own: ColumnProfile, reference: ColumnProfile) -> ColumnProfile:
    """``own`` with its numeric range widened by :data:`RANGE_MARGIN` on each side."""
    if own.min is None:
        return own
    width = max(
        own.max - own.min, (reference.max - reference.min) if reference.min is not None else 0.0
    )
    margin = RANGE_MARGIN * width
    return replace(own, min=own.min - margin, max=own.max + margin)


def _hull(own: ColumnProfile, reference: ColumnProfile) -> ColumnProfile:
    """``reference`` with its numeric range stretched to take in ``own``'s (and its observed
    infinities), widened as :func:`_with_margin` widens: the bounds every fill must keep, while
    ``own``'s are kept but for the few fills chance would put beyond them."""
    if own.min is None or reference.min is None:
        return reference
    hull = replace(
        reference,
        min=min(own.min, reference.min),
        max=max(own.max, reference.max),
        infinite=(
            max(own.infinite[0], reference.infinite[0]),
            max(own.infinite[1], reference.infinite[1]),
        ),
    )
    return _with_margin(hull, hull)


def _with_left_cells(
    spec: TableSpec, observed: pd.DataFrame, columns: list[str], left: Mapping[str, int] | None
) -> dict[str, dict[str, Any]]:
    """The column tolerances with ``allowed_missing`` raised to the share of cells left on
    purpose (see :func:`build_table_suite`)."""
    tolerances = {c: dict(v) for c, v in spec.validation.column_tolerances.items()}
    rows = max(len(observed), 1)
    for column in columns:
        cells = int(_structural(spec, observed, column).sum())
        if left is not None:
            cells = max(cells, int(left.get(column, 0)))
        elif column in observed.columns and not spec.fills_all(column):
            cells = max(cells, int(observed[column].isna().sum()))
        if cells:
            base = tolerances.get(column, {}).get(
                "allowed_missing", spec.validation.tolerances.get("allowed_missing", 0.0)
            )
            share = min(1.0, cells / rows + 1e-9)
            tolerances.setdefault(column, {})["allowed_missing"] = max(float(base), share)
    return tolerances


def validate_staging(staging: Any, suite: Any) -> ValidationResult:
    """Run ``suite`` on the staged rows: in the warehouse where GE can, as a frame on DuckDB
    (and on MySQL tables whose column names hold a backtick, which GE refuses) of only the
    columns the suite reads.

    (GE's SQL path returns no rows from DuckDB, and a second DuckDB engine would not see the
    staging table in the same process; the staging engine reads it reliably.)
    """
    from impute_assets.quality import columns_read, validate_frame, validate_table

    if not staging.validates_in_sql:
        read = columns_read(suite, staging.description.column_names)
        return validate_frame(staging.to_pandas(read or None), suite)
    return validate_table(staging.url, staging.name, suite, schema=staging.schema)


def validate_published(
    spec: TableSpec,
    warehouse: Warehouse,
    suite: Any,
    partition: tuple[str, str] | None,
) -> ValidationResult:
    """Run ``suite`` on the published filled table (or one partition of it).

    In the warehouse for PostgreSQL, SQLite and MySQL; DuckDB rows are read into a DataFrame
    (GE's SQL datasource returns no rows from DuckDB).
    """
    from impute_assets.quality import validate_frame, validate_table

    names = warehouse.describe(spec.output_name, schema=spec.db_schema).column_names
    values = [str(partition[1])] if partition is not None else []
    null_rows = partition is not None and partition[1] is None  # GE's query compares by value
    if null_rows or not warehouse.dialect.validates_in_sql(names, spec.output_name, values):
        published = warehouse.read(spec.output_name, schema=spec.db_schema, partition=partition)
        return validate_frame(published, suite)
    return validate_table(
        warehouse, spec.output_name, suite, schema=spec.db_schema, partition=partition
    )


def check_published(
    spec: TableSpec,
    warehouse: Warehouse,
    store: ModelStore,
    columns: list[str],
    partition_key: str | None = None,
    check: str | None = None,
) -> ValidationResult:
    """The table's suite (or only one ``check`` of it), rebuilt from the source rows and the
    stored models, on the published table (or one partition): what the asset checks run."""
    from impute_assets.pipeline.partitions import partition_filter

    partition = partition_filter(spec, partition_key)
    source = warehouse.read(spec.table, schema=spec.db_schema, partition=partition)
    stored = columns_with_models(spec, store, [c for c in columns if c in source.columns])
    suite = build_table_suite(spec, source, reference_profile(spec, store, stored), stored)
    result = validate_published(
        spec, warehouse, suite if check is None else suite.only(check), partition
    )
    return result.skipping(unchecked(spec, source, columns, stored, result, partition_key))


def unchecked(
    spec: TableSpec,
    source: pd.DataFrame,
    columns: list[str],
    stored: Mapping[str, StoredModel],
    result: ValidationResult,
    partition_key: str | None = None,
) -> dict[str, str]:
    """What a check of the published rows could not check, and why, so it never passes by
    absence: no rows, a column without a stored model (its fills are not in the suite), a
    column its gates leave unfilled, a column without gaps in these rows, no expectation run."""
    from impute_assets.core.gating import column_verdict
    from impute_assets.pipeline.plan import fill_config

    where = f" in partition {partition_key}" if partition_key is not None else ""
    if source.empty:
        return {"table": f"no rows{where}: nothing was filled or checked"}
    skipped = {
        c: f"no stored model{where}: its fills are not checked" for c in columns if c not in stored
    }
    config = fill_config(spec, list(stored), {})
    for column, model in stored.items():
        verdict = column_verdict(model.info.get("holdout", {}), config.gate_for(column, True))
        if verdict:
            skipped[column] = f"left unfilled ({verdict}): no fills to check"
        elif not source[column].isna().any():
            skipped[column] = f"no gaps{where}: nothing filled to check"
    if not result.results:
        skipped["suite"] = "no expectation evaluated"
    return skipped
