"""The numbers a run reports, as plain JSON-safe dicts: one place for every orchestrator face.

Dagster turns them into metadata, Airflow returns them as XCom; neither recomputes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from impute_assets.quality.result import to_plain

if TYPE_CHECKING:
    from impute_assets.pipeline.filling import FillOutcome
    from impute_assets.pipeline.spec import TableSpec
    from impute_assets.pipeline.training import ModelOutcome


def model_summary(outcome: ModelOutcome) -> dict[str, Any]:
    """One column's train-or-reuse decision, model version and held-out scores."""
    stored = outcome.stored
    info = stored.info if stored else {}
    holdout = info.get("holdout", {})
    return to_plain(
        {
            "decision": "reuse" if outcome.decision.reuse else "train",
            "reason": outcome.decision.reason,
            "fingerprint": outcome.fingerprint,
            "version": stored.version if stored else "(none)",
            "inputs": list(outcome.inputs),
            "model": info.get("chosen", "(none)"),
            "holdout_metric": str(holdout.get("metric", "")),
            "holdout_score": holdout.get("score"),
            "baseline_score": holdout.get("baseline_score"),
            "training_rows": int(info.get("training_rows", 0)),
            "epochs": int(info.get("epochs", 0)),
            "device": str(info.get("device", "")),
            "train_seconds": info.get("seconds"),
            "drift_psi": outcome.decision.drift or {},
        }
    )


def fill_summary(spec: TableSpec, outcome: FillOutcome) -> dict[str, Any]:
    """What a fill published: rows, cells filled and left (per column too), audit, validation."""
    per_column = outcome.per_column
    validation = outcome.validation
    return to_plain(
        {
            "table": spec.output_name,
            "schema": spec.db_schema,
            "row_count": len(outcome.filled),
            "cells_filled": sum(v["filled"] for v in per_column.values()),
            "cells_left": sum(v["left"] for v in per_column.values()),
            "audit_rows": len(outcome.cells),
            "audit_table": spec.audit_name,
            "columns": per_column,
            "model_versions": {c: v["model_version"] for c, v in per_column.items()},
            "validation": {
                "success": validation.success,
                "engine": validation.engine,
                "evaluated": len(validation.results),
                "failed": len(validation.failures),
            }
            if validation
            else None,
        }
    )
