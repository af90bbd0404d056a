"""Running real Definitions in process, and reading what the runs reported."""

from __future__ import annotations

from typing import Any

import dagster as dg

from impute_assets.dagster import ImputationMetadata


def materialize(
    defs: dg.Definitions,
    selection: str | dg.AssetSelection | None = None,
    partition_key: str | None = None,
    instance: dg.DagsterInstance | None = None,
    raise_on_error: bool = True,
    run_config: dict[str, Any] | None = None,
) -> dg.ExecuteInProcessResult:
    """``dg.materialize`` of ``defs`` with ``--select '*'`` (or a selection): every
    materializable asset and the checks of those assets, as the CLI and "Materialize all" run."""
    assets: list[Any] = [*defs.assets, *defs.asset_checks]
    return dg.materialize(
        assets,
        resources=defs.resources,
        selection=selection or "*",
        partition_key=partition_key,
        instance=instance,
        raise_on_error=raise_on_error,
        run_config=run_config,
    )


def force_retrain(table: str) -> dict[str, Any]:
    """Run config that makes a table's model assets train even where they could reuse."""
    return {"ops": {f"{table}__models": {"config": {"force_retrain": True}}}}


def metadata_by_asset(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Materialization metadata per asset key (user string), values unwrapped."""
    return {
        event.asset_key.to_user_string(): {
            k: v.value for k, v in event.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def reported(result: dg.ExecuteInProcessResult) -> dict[str, ImputationMetadata]:
    """What each asset of a run reported (user string of its key -> the typed record)."""
    return {
        event.asset_key.to_user_string(): ImputationMetadata.from_metadata(
            event.materialization.metadata
        )
        for event in result.get_asset_materialization_events()
    }


def decisions(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    """Column -> 'train' or 'reuse' for the model assets of a run."""
    return {
        key.rsplit("/", 1)[-1]: str(meta.decision)
        for key, meta in reported(result).items()
        if "/models/" in key
    }


def check_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """Check name -> its AssetCheckEvaluation (passed, severity, metadata) in a run."""
    return {
        data.check_name: data
        for data in (event.event_specific_data for event in result.all_events)
        if type(data).__name__ == "AssetCheckEvaluation"
    }


def sensor_of(defs: dg.Definitions, kind: str) -> dg.SensorDefinition:
    """The one sensor of ``defs`` whose name starts with ``kind`` (names get a per-call suffix)."""
    (sensor,) = [s for s in defs.sensors if s.name.startswith(kind + "__")]  # type: ignore[union-attr]
    return sensor  # type: ignore[return-value]
