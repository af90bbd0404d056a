"""The table's expectation suite: learned from the observed rows, widened to what the models
were trained on, and run on the staged or the published rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from impute_assets.pipeline.spec import TableSpec
from impute_assets.store import ModelStore, StoredModel

if TYPE_CHECKING:
    from impute_assets.core.profile import ColumnProfile, TableProfile
    from impute_assets.quality import ValidationResult
    from impute_assets.warehouse import Warehouse


def columns_with_models(
    spec: TableSpec, store: ModelStore, columns: list[str]
) -> dict[str, StoredModel]:
    """The latest stored model of each column that has one."""
    found = {c: store.latest(spec.store_name, c) for c in columns}
    return {c: stored for c, stored in found.items() if stored is not None}


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
) -> Any:
    """Expectations for the filled rows, learned from the observed values of the source rows
    (``observed``), with ranges and vocabularies widened to what the models were trained on: a
    fill may lie outside one partition's observed range yet inside the training data's.

    Cells left empty on purpose (structural gaps) are allowed: each such column's
    ``allowed_missing`` is raised to the share of its rows the spec calls structural. A column
    whose ``stored`` model fills by mean/mode has its distribution judged against the observed
    values plus its fills at the training mean/mode (what that method can produce).
    """
    from impute_assets.core.kinds import infer_kinds
    from impute_assets.core.profile import TableProfile
    from impute_assets.quality import build_suite, mean_mode_filled

    columns = list(reference.columns)
    own = TableProfile.from_frame(observed, infer_kinds(observed, overrides=spec.kinds))
    widened = {c: _widened(own[c], reference[c]) if c in own.columns else reference[c]
               for c in columns}
    profile = TableProfile(columns={**own.columns, **widened}, rows=own.rows, bins=own.bins,
                           top_k=own.top_k)
    expected = {
        c: mean_mode_filled(profile[c], _mean_or_mode(reference[c]),
                            int((observed[c].isna() & ~_structural(spec, observed, c)).sum()))
        for c in columns
        if c in observed.columns and c in stored and stored[c].info.get("chosen") == "mean_mode"
    }
    return build_suite(
        profile,
        columns=columns,
        tolerances=spec.validation.tolerances,
        column_tolerances=_with_structural_gaps(spec, observed, columns),
        extra=spec.validation.expectations,
        row_count=len(observed),
        expected=expected,
        block_distribution=spec.validation.distribution == "block",
    )


def _mean_or_mode(col: ColumnProfile) -> Any:
    """The value a mean/mode model trained on ``col``'s values fills with."""
    if col.mean is not None:
        return col.mean
    return col.top_values[0][0] if col.top_values else None


def _structural(spec: TableSpec, observed: pd.DataFrame, column: str) -> pd.Series:
    """Rows where ``column`` is a structural gap (left empty on purpose)."""
    structural = pd.Series(False, index=observed.index)
    for gap in spec.structural:
        if column in gap.columns:
            structural |= observed[gap.when_missing].isna() & observed[column].isna()
    return structural


def _widened(own: ColumnProfile, reference: ColumnProfile) -> ColumnProfile:
    """``own`` with the reference's range and vocabulary added (its statistics kept; an added
    category counts once, so distribution checks give it a small, non-zero share)."""
    if own.min is not None and reference.min is not None:
        return replace(own, min=min(own.min, reference.min),
                                   max=max(own.max, reference.max))
    known = set(own.vocabulary)
    extra = tuple((value, 1) for value, _ in reference.top_values if value not in known)
    return replace(own, top_values=own.top_values + extra, count=own.count + len(extra))


def _with_structural_gaps(
    spec: TableSpec, observed: pd.DataFrame, columns: list[str]
) -> dict[str, dict[str, Any]]:
    tolerances = {c: dict(v) for c, v in spec.validation.column_tolerances.items()}
    rows = max(len(observed), 1)
    for column in columns:
        structural = _structural(spec, observed, column)
        if structural.any():
            base = tolerances.get(column, {}).get(
                "allowed_missing", spec.validation.tolerances.get("allowed_missing", 0.0)
            )
            share = min(1.0, float(structural.sum()) / rows + 1e-9)
            tolerances.setdefault(column, {})["allowed_missing"] = max(float(base), share)
    return tolerances


def validate_staging(staging: Any, suite: Any) -> ValidationResult:
    """Run ``suite`` on the staged rows: in the warehouse where GE can, as a frame on DuckDB
    (and on MySQL tables whose column names hold a backtick, which GE refuses).

    (GE's SQL path returns no rows from DuckDB, and a second DuckDB engine would not see the
    staging table in the same process; the staging engine reads it reliably.)
    """
    from impute_assets.quality import validate_frame, validate_table

    if not staging.validates_in_sql:
        return validate_frame(staging.to_pandas(), suite)
    return validate_table(staging.url, staging.name, suite, schema=staging.schema)


def validate_published(
    spec: TableSpec,
    warehouse: Warehouse,
    url: str,
    suite: Any,
    partition: tuple[str, str] | None,
) -> ValidationResult:
    """Run ``suite`` on the published filled table (or one partition of it).

    In the warehouse for PostgreSQL, SQLite and MySQL; DuckDB rows are read into a DataFrame
    (GE's SQL datasource returns no rows from DuckDB). ``url`` carries the password: GE opens
    its own engine.
    """
    from impute_assets.quality import validate_frame, validate_table

    names = warehouse.describe(spec.output_name, schema=spec.db_schema).column_names
    if not warehouse.dialect.validates_in_sql(names, spec.output_name):
        published = warehouse.read(spec.output_name, schema=spec.db_schema, partition=partition)
        return validate_frame(published, suite)
    return validate_table(url, spec.output_name, suite, schema=spec.db_schema, partition=partition)


def check_published(
    spec: TableSpec,
    warehouse: Warehouse,
    url: str,
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
    return validate_published(spec, warehouse, url, suite if check is None else suite.only(check),
                              partition)
