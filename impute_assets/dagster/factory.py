"""``build_imputation_defs``: every asset, check, sensor and resource for a list of tables."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dagster as dg

from impute_assets.dagster.assets import (
    MODEL_STORE_KEY,
    TORCH_KEY,
    build_table_assets,
    columns_to_impute,
    warehouse_key,
)
from impute_assets.dagster.checks import expectations_check, missing_values_check
from impute_assets.dagster.executors import refuse_single_host_tables
from impute_assets.dagster.resources import ModelStoreResource, TorchResource, WarehouseResource
from impute_assets.dagster.sensor import automation_sensor, partition_sensor
from impute_assets.dagster.translator import ImputationTranslator
from impute_assets.pipeline.spec import TableSpec


def build_imputation_defs(
    tables: Iterable[TableSpec | Mapping[str, Any]],
    translator: ImputationTranslator | None = None,
    resources: Mapping[str, Any] | None = None,
    model_store: str | None = None,
    executor: dg.ExecutorDefinition | None = None,
) -> dg.Definitions:
    """Definitions that keep ``tables`` complete.

    Each table gets its source spec with a missing-values check, one model asset per column
    to impute, the imputed table with a blocking expectations check, a place in the automation
    condition sensor and (when partitioned) in the partition sensor. Default resources read
    each table's URL from its env var; ``resources`` replaces any of them. ``executor`` runs
    the steps (e.g. ``dagster_celery.celery_executor``); one that spreads steps over hosts
    refuses tables on a local DuckDB/SQLite file or a ``memory://`` model store.

    Example:
        >>> defs = build_imputation_defs([{"table": "weather", "columns": ["temp"]}])
    """
    specs = [t if isinstance(t, TableSpec) else TableSpec.parse(dict(t)) for t in tables]
    _unique_outputs(specs)
    if executor is not None:
        refuse_single_host_tables(executor.name, specs, dict(os.environ), model_store)
    built = [build_table_assets(s, columns_to_impute(s), translator) for s in specs]
    defaults: dict[str, Any] = {
        warehouse_key(s): WarehouseResource(url=dg.EnvVar(s.url_env)) for s in specs
    }
    defaults[MODEL_STORE_KEY] = (
        ModelStoreResource(root=model_store) if model_store else ModelStoreResource()
    )
    defaults[TORCH_KEY] = TorchResource()
    sensors: list[dg.SensorDefinition] = [automation_sensor(built)] if built else []
    if any(s.partition for s in specs):
        sensors.append(partition_sensor(built))
    return dg.Definitions(
        assets=[a for t in built for a in (t.source, t.models, t.imputed)],
        asset_checks=[c for t in built for c in (missing_values_check(t), expectations_check(t))],
        sensors=sensors,
        resources={**defaults, **(resources or {})},
        executor=executor,
    )


def _unique_outputs(specs: Sequence[TableSpec]) -> None:
    seen: dict[tuple[str | None, str], str] = {}
    for spec in specs:
        where = (spec.db_schema, spec.output_name)
        if where in seen:
            raise ValueError(
                f"tables {seen[where]!r} and {spec.table!r} both write "
                f"output_table {spec.output_name!r}"
            )
        seen[where] = spec.table
