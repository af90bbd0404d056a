"""Dagster metadata for imputation assets: standard ``dagster/*`` keys plus our own namespace
(the :class:`~impute_assets.dagster.metadata_set.ImputationMetadata` record).

``TableMetadataSet`` is not exported in dagster 1.13, so the standard keys are written directly.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import dagster as dg
import pandas as pd

from impute_assets.dagster.metadata_set import ImputationMetadata

if TYPE_CHECKING:
    from impute_assets.pipeline.filling import FillOutcome
    from impute_assets.pipeline.spec import TableSpec
    from impute_assets.pipeline.training import ModelOutcome


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

    library = getattr(impute_assets, "__version__", "dev")
    text = json.dumps([library, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def md_table(rows: Iterable[Mapping[str, Any]]) -> str:
    """A markdown table from row dicts (all rows share the first row's keys)."""
    rows = list(rows)
    if not rows:
        return "(none)"
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(r.get(h)) for h in header) + " |" for r in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    return "" if value is None else str(value).replace("|", "\\|")


def model_metadata(outcome: ModelOutcome) -> ImputationMetadata:
    """What a column's model asset reports: the decision, the model, its held-out score."""
    info = outcome.stored.info if outcome.stored else {}
    holdout = info.get("holdout", {})
    return ImputationMetadata(
        decision="reuse" if outcome.decision.reuse else "train",
        reason=outcome.decision.reason,
        fingerprint=outcome.fingerprint,
        version=outcome.stored.version if outcome.stored else "(none)",
        inputs=list(outcome.inputs),
        model=info.get("chosen", "(none)"),
        holdout_metric=str(holdout.get("metric", "")),
        holdout_score=holdout.get("score"),
        baseline_score=holdout.get("baseline_score"),
        training_rows=int(info.get("training_rows", 0)),
        epochs=int(info.get("epochs", 0)),
        device=str(info.get("device", "")),
        train_seconds=info.get("seconds"),
        drift_psi=outcome.decision.drift or {},
    )


def fill_metadata(spec: TableSpec, outcome: FillOutcome, source_key: dg.AssetKey) -> dict[str, Any]:
    """Metadata of the imputed table: standard table keys, per-column counts and held-out
    scores, column lineage (also as a markdown table), models, plots."""
    lineage = {
        str(column): [str(column), *outcome.models[column].info.get("inputs", [])]
        if column in outcome.models
        else [str(column)]
        for column in outcome.filled.columns
    }
    per_column = outcome.per_column
    record = ImputationMetadata(
        cells_filled=sum(v["filled"] for v in per_column.values()),
        cells_left=sum(v["left"] for v in per_column.values()),
        audit_rows=len(outcome.cells),
        audit_table=spec.audit_name,
        columns=md_table(
            {"column": c, **v, **_holdout(outcome.models[c].info)} for c, v in per_column.items()
        ),
        lineage=md_table(
            {"column": c, "from source columns": deps}
            for c, deps in lineage.items()
            if c in outcome.models
        ),
        model_versions={c: v["model_version"] for c, v in per_column.items()},
        validation=outcome.validation.to_markdown() if outcome.validation else "(not run)",
        plots=_fill_plots(outcome) or None,
    )
    deps = {c: [(source_key, name) for name in names] for c, names in lineage.items()}
    return {**table_metadata(spec.output_name, outcome.filled, deps), **record.to_metadata()}


def _holdout(info: Mapping[str, Any]) -> dict[str, Any]:
    """A column model's held-out score next to mean/mode's, as the imputed table shows them."""
    holdout = info.get("holdout", {})
    return {
        "model": info.get("chosen"),
        "held-out metric": holdout.get("metric"),
        "held-out score": holdout.get("score"),
        "mean/mode score": holdout.get("baseline_score"),
    }


def _fill_plots(outcome: FillOutcome) -> str:
    from impute_assets import plots

    per_column = outcome.per_column
    images = {}
    if per_column:
        images["Missing before and after"] = plots.before_after_missingness(
            {c: v["missing"] for c, v in per_column.items()},
            {c: v["left"] for c, v in per_column.items()},
            rows=len(outcome.filled),
        )
    for column, counts in per_column.items():
        if counts["filled"]:
            images[f"{column}: observed vs imputed"] = plots.observed_vs_imputed(
                outcome.filled[column], outcome.imputed[column]
            )
    return png_markdown(images)
