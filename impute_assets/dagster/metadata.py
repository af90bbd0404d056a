"""Dagster metadata for imputation assets: standard ``dagster/*`` keys plus our own namespace.

``TableMetadataSet`` is not exported in dagster 1.13, so the standard keys are written directly.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
import pandas as pd

from impute_assets.pipeline.records import FillRecord, ModelRecord
from impute_assets.pipeline.spec import TableSpec
from impute_assets.pipeline.summary import cell_text, fill_rows

#: Our keys live under this prefix, like dagster-dlt's ``dagster_dlt/``.
PREFIX = "impute_assets"


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


def png_markdown(images: Mapping[str, bytes]) -> dg.MetadataValue:
    """Images shown inline in the UI: markdown with base64 data URIs, one per title."""
    parts = [
        f"**{title}**\n\n![{title}](data:image/png;base64,{base64.b64encode(png).decode()})"
        for title, png in images.items()
    ]
    return dg.MetadataValue.md("\n\n".join(parts))


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


def md_table(rows: Iterable[Mapping[str, Any]]) -> dg.MetadataValue:
    """A markdown table from row dicts (all rows share the first row's keys)."""
    rows = list(rows)
    if not rows:
        return dg.MetadataValue.md("(none)")
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(cell_text(r.get(h)).replace("|", "\\|") for h in header) + " |"
        for r in rows
    ]
    return dg.MetadataValue.md("\n".join(lines))


def model_metadata(model: ModelRecord) -> dict[str, Any]:
    """Metadata of a model asset: the reuse decision and why, the model, its held-out score."""
    return {
        f"{PREFIX}/decision": model.decision,
        f"{PREFIX}/reason": model.reason,
        f"{PREFIX}/fingerprint": model.fingerprint,
        f"{PREFIX}/version": model.version or "(none)",
        f"{PREFIX}/inputs": list(model.inputs),
        f"{PREFIX}/model": model.model or "(none)",
        f"{PREFIX}/holdout_metric": model.holdout_metric,
        f"{PREFIX}/holdout_score": model.holdout_score,
        f"{PREFIX}/baseline_score": model.baseline_score,
        f"{PREFIX}/training_rows": model.training_rows,
        f"{PREFIX}/epochs": model.epochs,
        f"{PREFIX}/device": model.device,
        f"{PREFIX}/train_seconds": model.train_seconds,
        f"{PREFIX}/drift_psi": model.drift,
        f"{PREFIX}/input_importance": model.importance,
    }


def fill_metadata(spec: TableSpec, fill: FillRecord, source_key: dg.AssetKey) -> dict[str, Any]:
    """Metadata of the imputed table: standard table keys, per-column counts, models, plots."""
    from impute_assets import plots

    inputs = {c.column: c.inputs for c in fill.columns}
    lineage = {
        str(column): [(source_key, str(column))]
        + [(source_key, name) for name in inputs.get(str(column), ())]
        for column in fill.filled.columns
    }
    images = {}
    if fill.columns:
        images["Missing before and after"] = plots.before_after_missingness(
            {c.column: c.missing for c in fill.columns},
            {c.column: c.left for c in fill.columns},
            rows=fill.rows,
        )
    for column in fill.columns:
        if column.filled:
            images[f"{column.column}: observed vs imputed"] = plots.observed_vs_imputed(
                fill.filled[column.column], fill.imputed[column.column]
            )
    metadata = {
        **table_metadata(spec.output_name, fill.filled, lineage),
        f"{PREFIX}/cells_filled": fill.cells_filled,
        f"{PREFIX}/cells_left": fill.cells_left,
        f"{PREFIX}/audit_rows": fill.audit_rows,
        f"{PREFIX}/audit_table": fill.audit_table,
        f"{PREFIX}/columns": md_table(fill_rows(fill)),
        f"{PREFIX}/model_versions": fill.model_versions,
        f"{PREFIX}/validation": dg.MetadataValue.md(
            fill.validation.to_markdown() if fill.validation else "(not run)"
        ),
    }
    if images:
        metadata[f"{PREFIX}/plots"] = png_markdown(images)
    return metadata
