"""Fill a table (or one partition) with the stored models and publish it write-audit-publish.

No Dagster here: the imputed-table asset calls :func:`fill_and_publish` and turns the
:class:`FillOutcome` into metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from impute_assets.dagster.partitions import partition_filter
from impute_assets.dagster.spec import TableSpec
from impute_assets.dagster.training import ordered, sequence_keys
from impute_assets.store import ModelStore, StoredModel

if TYPE_CHECKING:
    from impute_assets.core.profile import ColumnProfile, TableProfile
    from impute_assets.quality import ValidationResult
    from impute_assets.warehouse import Warehouse


class ValidationFailed(RuntimeError):
    """The filled rows failed their expectations; nothing was published."""

    def __init__(self, table: str, result: ValidationResult) -> None:
        super().__init__(
            f"table {table!r}: validation failed, nothing published\n{result.to_markdown()}"
        )
        self.result = result


@dataclass
class FillOutcome:
    """What a fill did: the frames before and after, the audit cells, the validation."""

    source: pd.DataFrame
    filled: pd.DataFrame
    imputed: pd.DataFrame
    confidence: pd.DataFrame
    cells: pd.DataFrame
    models: dict[str, StoredModel]
    validation: ValidationResult | None = None
    publish: Any = None
    per_column: dict[str, dict[str, Any]] = field(default_factory=dict)


def columns_with_models(
    spec: TableSpec, store: ModelStore, columns: list[str]
) -> dict[str, StoredModel]:
    """The latest stored model of each column that has one."""
    found = {c: store.latest(spec.table, c) for c in columns}
    return {c: stored for c, stored in found.items() if stored is not None}


def reference_profile(
    spec: TableSpec, store: ModelStore, stored: Mapping[str, StoredModel]
) -> TableProfile:
    """The observed values each column's model was trained on (stored with the model)."""
    from impute_assets.core.profile import TableProfile

    columns = {c: store.load_profile(spec.table, c, s.version)[c] for c, s in stored.items()}
    rows = max((p.count + p.missing for p in columns.values()), default=0)
    return TableProfile(columns=columns, rows=rows)


def build_table_suite(spec: TableSpec, observed: pd.DataFrame, reference: TableProfile) -> Any:
    """Expectations for the filled rows, learned from the observed values of the source rows
    (``observed``), with ranges and vocabularies widened to what the models were trained on: a
    fill may lie outside one partition's observed range yet inside the training data's.

    Cells left empty on purpose (structural gaps) are allowed: each such column's
    ``allowed_missing`` is raised to the share of its rows the spec calls structural.
    """
    from impute_assets.core.kinds import infer_kinds
    from impute_assets.core.profile import TableProfile
    from impute_assets.quality import build_suite

    columns = list(reference.columns)
    own = TableProfile.from_frame(observed, infer_kinds(observed, overrides=spec.kinds))
    widened = {c: _widened(own[c], reference[c]) if c in own.columns else reference[c]
               for c in columns}
    profile = TableProfile(columns={**own.columns, **widened}, rows=own.rows, bins=own.bins,
                           top_k=own.top_k)
    return build_suite(
        profile,
        columns=columns,
        tolerances=spec.validation.tolerances,
        column_tolerances=_with_structural_gaps(spec, observed, columns),
        extra=spec.validation.expectations,
        row_count=len(observed),
    )


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
        structural = pd.Series(False, index=observed.index)
        for gap in spec.structural:
            if column in gap.columns:
                structural |= observed[gap.when_missing].isna() & observed[column].isna()
        if structural.any():
            base = tolerances.get(column, {}).get(
                "allowed_missing", spec.validation.tolerances.get("allowed_missing", 0.0)
            )
            share = min(1.0, float(structural.sum()) / rows + 1e-9)
            tolerances.setdefault(column, {})["allowed_missing"] = max(float(base), share)
    return tolerances


def validate_staging(staging: Any, suite: Any) -> ValidationResult:
    """Run ``suite`` on the staged rows: in the warehouse where GE can, as a frame on DuckDB.

    (GE's SQL path returns no rows from DuckDB, and a second DuckDB engine would not see the
    staging table in the same process; the staging engine reads it reliably.)
    """
    from impute_assets.quality import validate_frame, validate_table

    if staging.engine.dialect.name == "duckdb":
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

    if warehouse.engine.dialect.name == "duckdb":
        published = warehouse.read(spec.output_name, schema=spec.db_schema, partition=partition)
        return validate_frame(published, suite)
    return validate_table(url, spec.output_name, suite, schema=spec.db_schema, partition=partition)


def fill_and_publish(
    spec: TableSpec,
    warehouse: Warehouse,
    store: ModelStore,
    columns: list[str],
    partition_key: str | None = None,
    device: Mapping[str, Any] | None = None,
    run_id: str = "",
) -> FillOutcome:
    """Read the rows, fill them, validate the staged result and publish it with its audit rows."""
    from impute_assets.core.config import ImputerConfig
    from impute_assets.core.imputer import Imputer

    partition = partition_filter(spec, partition_key)
    source = ordered(spec, warehouse.read(spec.table, schema=spec.db_schema, partition=partition))
    source = source.reset_index(drop=True)
    stored = columns_with_models(spec, store, columns)
    missing_models = sorted(set(columns) - set(stored))
    if missing_models:
        raise LookupError(
            f"table {spec.table!r}: no stored model for {missing_models}; materialize their model "
            "assets first"
        )
    models = {c: store.load(spec.table, c, s.version) for c, s in stored.items()}
    config = ImputerConfig(
        **{**(device or {}), "confidence_threshold": {c: _threshold(spec, c) for c in models}}
    )
    context = boundary_rows(spec, warehouse, partition)
    result = Imputer.from_column_models(models, config).impute(source, context=context)
    imputed = _leave_structural_gaps(spec, source, result.imputed)
    filled = result.frame.where(imputed | ~source.isna(), source)
    confidence = result.confidence.where(imputed)
    cells = _audit_cells(spec, source, result.cells(), imputed, partition_key, run_id)
    suite = build_table_suite(spec, source, reference_profile(spec, store, stored))
    outcome = FillOutcome(source, filled, imputed, confidence, cells, stored)

    def audit(staging: Any) -> None:
        outcome.validation = validate_staging(staging, suite)
        if not outcome.validation.success:
            raise ValidationFailed(spec.output_name, outcome.validation)

    outcome.publish = warehouse.publish(
        filled,
        spec.output_name,
        schema=spec.db_schema,
        partition=partition,
        validate=audit,
        audit=cells,
        audit_table=spec.audit_name,
    )
    outcome.per_column = {
        c: {
            "missing": int(source[c].isna().sum()),
            "filled": int(imputed[c].sum()),
            "left": int(filled[c].isna().sum()),
            "mean_confidence": _mean(confidence[c]),
            "model_version": stored[c].version,
        }
        for c in stored
    }
    return outcome


#: Rows per sequence group read from the previous partition as neighbours in time.
BOUNDARY_ROWS = 24


def boundary_rows(
    spec: TableSpec, warehouse: Warehouse, partition: tuple[str, str] | None
) -> pd.DataFrame | None:
    """The last rows of each group in the partition before ``partition``, when rows form
    sequences: the first hour of a new day still sees the last hours of the previous one."""
    order, groups = sequence_keys(spec)
    if order is None or partition is None:
        return None
    column, value = partition
    values = warehouse.partitions(spec.table, column, schema=spec.db_schema)
    earlier = sorted((v for v in values if _natural(v) < _natural(value)), key=_natural)
    if not earlier:
        return None
    rows = warehouse.read(spec.table, schema=spec.db_schema, partition=(column, earlier[-1]))
    rows = rows.sort_values(order, kind="stable")
    tail = rows.groupby(groups, sort=False).tail(BOUNDARY_ROWS) if groups else rows.tail(BOUNDARY_ROWS)
    return tail.reset_index(drop=True)


def _natural(value: str) -> tuple[int, float | str]:
    """Sort key for partition values: numbers by value (month 10 after 9), the rest as text."""
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)


def _leave_structural_gaps(
    spec: TableSpec, source: pd.DataFrame, imputed: pd.DataFrame
) -> pd.DataFrame:
    """Unmark cells the spec calls structural (e.g. a cancelled flight's arrival delay)."""
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
    cells: pd.DataFrame,
    imputed: pd.DataFrame,
    partition_key: str | None,
    run_id: str,
) -> pd.DataFrame:
    """The warehouse audit rows of the cells still marked filled (structural gaps dropped)."""
    from impute_assets.warehouse.audit import audit_frame

    stacked = imputed.stack()
    kept = set(stacked[stacked].index)
    cells = cells[[(r, c) in kept for r, c in zip(cells["row"], cells["column"], strict=True)]]
    return audit_frame(
        cells,
        source,
        spec.key,
        run_id=run_id,
        table=spec.table,
        schema=spec.db_schema,
        partition=partition_key,
    )


def _threshold(spec: TableSpec, column: str) -> float:
    """The spec's confidence threshold for a column (0: fill every predicted cell)."""
    value = spec.config_for(column).get("confidence_threshold", 0.0)
    return float(value.get(column, 0.0)) if isinstance(value, Mapping) else float(value)


def _mean(series: pd.Series) -> float | None:
    value = series.dropna()
    return float(value.mean()) if len(value) else None
