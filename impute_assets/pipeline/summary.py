"""The summary of a run's records, as rows: the Dagster metadata tables and the CLI's tables
are both rendered from these, so the UI and the terminal show the same numbers."""

from __future__ import annotations

from typing import Any

from impute_assets.pipeline.records import FillRecord, MissingCounts, TrainRecord


def missing_rows(missing: MissingCounts) -> list[dict[str, Any]]:
    """One row per incomplete column: its missing cells and their share of the rows."""
    return [
        {"column": c, "nulls": missing.nulls[c], "share": missing.share(c)}
        for c in missing.incomplete
    ]


def model_rows(training: TrainRecord) -> list[dict[str, Any]]:
    """One row per column model: trained or reused and why, the version, its held-out score."""
    return [
        {
            "column": m.column,
            "decision": m.decision,
            "version": m.version or "(none)",
            "model": m.model or "(none)",
            "metric": m.holdout_metric,
            "held-out": m.holdout_score,
            "mean/mode": m.baseline_score,
            "reason": m.reason,
        }
        for m in training.models
    ]


def fill_rows(fill: FillRecord) -> list[dict[str, Any]]:
    """One row per imputed column: missing before, filled, left, mean confidence, model."""
    return [
        {
            "column": c.column,
            "missing": c.missing,
            "filled": c.filled,
            "left": c.left,
            "mean_confidence": c.mean_confidence,
            "model_version": c.model_version,
        }
        for c in fill.columns
    ]


def fill_line(fill: FillRecord) -> str:
    """One line per publish, e.g. ``flights_imputed [3]: 1320 rows, 412 cells filled, ...``."""
    where = f" [{fill.partition}]" if fill.partition is not None else ""
    validation = fill.validation
    checks = (
        f"{sum(r.success for r in validation.results)}/{len(validation.results)}"
        f" expectations passed ({len(validation.warnings)} warnings)" if validation
        else "not validated"
    )
    return (
        f"{fill.output_table}{where}: {fill.rows} rows, {fill.cells_filled} cells filled, "
        f"{fill.cells_left} left, {fill.audit_rows} audit rows in {fill.audit_table}, {checks}"
    )
