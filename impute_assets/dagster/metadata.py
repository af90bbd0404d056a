"""Dagster metadata for imputation assets: standard ``dagster/*`` keys plus our own namespace
(the :class:`~impute_assets.dagster.metadata_set.ImputationMetadata` record), from the
pipeline's records.

``TableMetadataSet`` is not exported in dagster 1.13, so the standard keys are written directly.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
import pandas as pd

from impute_assets.core.markdown import records_table
from impute_assets.dagster.metadata_set import ImputationMetadata
from impute_assets.pipeline.records import FillRecord, ModelRecord
from impute_assets.pipeline.spec import TableSpec
from impute_assets.pipeline.summary import fill_rows


def table_metadata(
    table: str,
    frame: pd.DataFrame,
    lineage: Mapping[str, Iterable[tuple[dg.AssetKey, str]]] | None = None,
) -> dict[str, Any]:
    """Row count, column schema, table name and (optionally) column lineage of a frame."""
    metadata: dict[str, Any] = {
        "dagster/table_name": table,
        "dagster/row_count": len(frame),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()]
        ),
    }
    if lineage:
        metadata["dagster/column_lineage"] = dg.TableColumnLineage(
            deps_by_column={
                column: [dg.TableColumnDep(asset_key=key, column_name=name) for key, name in deps]
                for column, deps in lineage.items()
            }
        )
    return metadata


def png_markdown(images: Mapping[str, bytes]) -> str:
    """Markdown showing images inline in the UI (base64 data URIs), one per title."""
    return "\n\n".join(
        f"**{title}**\n\n![{title}](data:image/png;base64,{base64.b64encode(png).decode()})"
        for title, png in images.items()
    )


def frame_version(frame: pd.DataFrame) -> dg.DataVersion:
    """A DataVersion from a frame's content (values, column names and dtypes)."""
    digest = hashlib.sha256()
    digest.update(repr(list(zip(frame.columns, map(str, frame.dtypes), strict=True))).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return dg.DataVersion(digest.hexdigest()[:16])


def config_version(*parts: Any) -> str:
    """A short, stable code_version from configuration (JSON-able parts)."""
    import json

    import impute_assets

    text = json.dumps([impute_assets.__version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


#: The data version of a column's model asset when the column gets no model.
LEFT_VERSION = "left"


def left_metadata(column: str, why: str) -> ImputationMetadata:
    """What the model asset of a column that gets no model (free text, ids) reports: why."""
    return ImputationMetadata(column=column, decision="left", reason=why, model="(none)")


def model_metadata(model: ModelRecord) -> ImputationMetadata:
    """What a column's model asset reports: the decision and why, the model, its held-out score."""
    return ImputationMetadata(
        column=model.column,
        decision=model.decision,
        reason=model.reason,
        fingerprint=model.fingerprint,
        version=model.version or "(none)",
        inputs=list(model.inputs),
        model=model.model or "(none)",
        holdout_metric=model.holdout_metric,
        holdout_score=model.holdout_score,
        baseline_score=model.baseline_score,
        holdout_spread=model.holdout_spread,
        holdout_splits=model.holdout_splits,
        baseline_gain=model.baseline_gain,
        baseline_gain_spread=model.baseline_gain_spread,
        training_rows=model.training_rows,
        epochs=model.epochs,
        device=model.device,
        train_seconds=model.train_seconds,
        drift_psi=model.drift,
        input_importance=model.importance,
    )


def fill_metadata(spec: TableSpec, fill: FillRecord, source_key: dg.AssetKey) -> dict[str, Any]:
    """Metadata of the imputed table: standard table keys, per-column counts and held-out
    scores, column lineage (also as a markdown table, which the open-source UI does not draw
    from ``dagster/column_lineage``), models, plots."""
    inputs = {c.column: c.inputs for c in fill.columns}
    lineage = {str(c): [str(c), *inputs.get(str(c), ())] for c in fill.filled.columns}
    record = fill_record_metadata(fill).model_copy(
        update={
            "lineage": records_table(
                {"column": c, "filled from source columns": ", ".join(lineage[c])} for c in inputs
            ),
            "plots": _fill_plots(fill, spec.plots) or None,
        }
    )
    deps = {c: [(source_key, name) for name in names] for c, names in lineage.items()}
    return {**table_metadata(spec.output_name, fill.filled, deps), **record.to_metadata()}


def fill_record_metadata(fill: FillRecord) -> ImputationMetadata:
    """What a fill reports, published or not: counts, per-column scores and coverage, models,
    validation; a dry run also names its preview table (the table asset's observation)."""
    return ImputationMetadata(
        cells_filled=fill.cells_filled,
        cells_left=fill.cells_left,
        left_reasons=fill.left_reasons,
        audit_rows=fill.audit_rows,
        audit_table=fill.audit_table,
        columns=records_table(fill_rows(fill)),
        coverage={
            c.column: {
                "coverage": c.coverage,
                "holdout_coverage": c.holdout_coverage,
                "width_to_spread": c.width_to_spread,
                "mean_set_size": c.mean_set_size,
            }
            for c in fill.columns
            if c.coverage is not None
        },
        model_versions=fill.model_versions,
        validation=fill.validation.to_markdown() if fill.validation else "(not run)",
        dry_run=fill.dry_run or None,
        preview_table=fill.preview_table,
    )


def _fill_plots(fill: FillRecord, columns: int) -> str:
    """Missing cells before and after, and observed vs imputed values for the ``columns``
    columns with the most cells filled (each plot takes ~0.3 s; none at all when 0)."""
    from impute_assets import plots

    if not columns or not fill.columns:
        return ""
    images = {
        "Missing before and after": plots.before_after_missingness(
            {c.column: c.missing for c in fill.columns},
            {c.column: c.left for c in fill.columns},
            rows=fill.rows,
        )
    }
    ranked = sorted((c for c in fill.columns if c.filled), key=lambda c: -c.filled)
    most = {c.column for c in ranked[:columns]}
    for column in (c for c in fill.columns if c.column in most):  # in the table's order
        images[f"{column.column}: observed vs imputed"] = plots.observed_vs_imputed(
            fill.filled[column.column], fill.imputed[column.column]
        )
    return png_markdown(images)
