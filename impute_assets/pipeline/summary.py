"""The summary of a run's records, as rows: the Dagster metadata tables and the CLI's tables
are both rendered from these, so the UI and the terminal show the same numbers; Airflow's
XComs are the same records as JSON-safe data."""

from __future__ import annotations

import dataclasses
from typing import Any

from impute_assets.core.jsonable import to_plain
from impute_assets.pipeline.records import (
    ColumnFill,
    FillRecord,
    MissingCounts,
    ModelRecord,
    TrainRecord,
)


def missing_rows(missing: MissingCounts) -> list[dict[str, Any]]:
    """One row per incomplete column: its missing cells and their share of the rows."""
    return [
        {"column": c, "nulls": missing.nulls[c], "share": missing.share(c)}
        for c in missing.incomplete
    ]


#: The scores of a column no model fills.
_NO_SCORES = {"model": "(none)", "metric": "", "held-out": None, "spread": None, "mean/mode": None}


def model_rows(training: TrainRecord) -> list[dict[str, Any]]:
    """One row per column model: trained or reused and why, the version, its held-out score;
    then the columns left without a model, and why."""
    models = [
        {
            "column": m.column,
            "decision": m.decision,
            "version": m.version or "(none)",
            **_scores(m),
            "reason": m.reason,
        }
        for m in training.models
    ]
    return models + [
        {"column": c, "decision": "left", "version": "(none)", **_NO_SCORES, "reason": why}
        for c, why in training.left.items()
    ]


def fill_rows(fill: FillRecord) -> list[dict[str, Any]]:
    """One row per column with missing cells: missing before, filled, left and why (``left
    because``), mean confidence, the model and its held-out score (with its spread, next to
    mean/mode's), the model version; the columns no model fills come last."""
    imputed = [
        {
            "column": c.column,
            "missing": c.missing,
            "filled": c.filled,
            "left": c.left,
            "mean_confidence": c.mean_confidence,
            **_scores(c),
            **_uncertainty(c),
            "model_version": c.model_version,
            "left because": reasons_text(c.reasons),
        }
        for c in fill.columns
    ]
    return imputed + [
        {
            "column": c.column,
            "missing": c.left,
            "filled": 0,
            "left": c.left,
            "mean_confidence": None,
            **_NO_SCORES,
            "model_version": "",
            "left because": c.reason,
        }
        for c in fill.left_columns
    ]


def _uncertainty(fill: ColumnFill) -> dict[str, Any]:
    """The fills' interval / set coverage (nominal, and reached on held-out cells) and size:
    mean interval width over the column's 90% spread, or mean labels per prediction set."""
    return {
        "coverage": fill.coverage,
        "held-out coverage": fill.holdout_coverage,
        "width/spread": fill.width_to_spread,
        "set size": fill.mean_set_size,
    }


def reasons_text(reasons: dict[str, int]) -> str:
    """``reason: cells; ...`` (empty when nothing was left)."""
    return "; ".join(f"{why}: {count}" for why, count in reasons.items())


def _scores(record: ModelRecord | ColumnFill) -> dict[str, Any]:
    """The chosen model, its held-out metric, score and the score's spread over held-out
    splits, and mean/mode's score on those cells."""
    return {
        "model": record.model or "(none)",
        "metric": record.holdout_metric,
        "held-out": record.holdout_score,
        "spread": record.holdout_spread,
        "mean/mode": record.baseline_score,
    }


def fill_line(fill: FillRecord) -> str:
    """One line per publish, e.g. ``flights_imputed [3]: 1320 rows, 412 cells filled, ...``."""
    where = f" [{fill.partition}]" if fill.partition is not None else ""
    validation = fill.validation
    checks = (
        f"{sum(r.success for r in validation.results)}/{len(validation.results)}"
        f" expectations passed ({len(validation.warnings)} warnings)"
        if validation
        else "not validated"
    )
    if fill.dry_run:
        return (
            f"DRY RUN {fill.output_table}{where}: {fill.rows} rows, {fill.cells_filled} cells "
            f"would be filled, {fill.cells_left} left, {checks}; the would-be fills are in "
            f"{fill.preview_table} ({fill.preview_rows} rows); {fill.output_table} and "
            f"{fill.audit_table} untouched"
        )
    return (
        f"{fill.output_table}{where}: {fill.rows} rows, {fill.cells_filled} cells filled, "
        f"{fill.cells_left} left, {fill.audit_rows} audit rows in {fill.audit_table}, {checks}"
    )


def model_data(model: ModelRecord) -> dict[str, Any]:
    """A model record as JSON-safe data, every field (Airflow's XCom, JSON output)."""
    return to_plain(dataclasses.asdict(model))


def fill_data(fill: FillRecord) -> dict[str, Any]:
    """A fill record as JSON-safe data: the counts of the table and of each column (the rows of
    :func:`fill_rows`), the model versions and the validation's verdict; no frames."""
    validation = fill.validation.to_dict() if fill.validation else None
    return to_plain(
        {
            "table": fill.table,
            "output_table": fill.output_table,
            "audit_table": fill.audit_table,
            "partition": fill.partition,
            "rows": fill.rows,
            "cells_filled": fill.cells_filled,
            "cells_left": fill.cells_left,
            "audit_rows": fill.audit_rows,
            "dry_run": fill.dry_run,
            "preview_table": fill.preview_table,
            "preview_rows": fill.preview_rows,
            "columns": fill_rows(fill),
            "left_reasons": fill.left_reasons,
            "model_versions": fill.model_versions,
            "validation": validation and {k: v for k, v in validation.items() if k != "results"},
        }
    )
