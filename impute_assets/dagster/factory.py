"""``build_imputation_defs``: every asset, check, sensor and resource for a list of tables."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dagster as dg

from impute_assets.dagster.assets import (
    MODEL_STORE_KEY,
    TORCH_KEY,
    TableAssets,
    build_table_assets,
    columns_or_error,
    warehouse_key,
)
from impute_assets.dagster.checks import distribution_check, expectations_check
from impute_assets.dagster.executors import refuse_single_host_tables
from impute_assets.dagster.resources import ModelStoreResource, TorchResource, WarehouseResource
from impute_assets.dagster.sensor import (
    AUTOMATION_SENSOR,
    PARTITION_SENSOR,
    automation_sensor,
    partition_sensor,
)
from impute_assets.dagster.translator import ImputationTranslator
from impute_assets.pipeline.discovery import Discovery
from impute_assets.pipeline.spec import TableSpec


def build_imputation_defs(
    tables: Iterable[TableSpec | Mapping[str, Any]],
    translator: ImputationTranslator | None = None,
    resources: Mapping[str, Any] | None = None,
    model_store: str | None = None,
    discovery: Discovery | None = None,
    name: str | None = None,
    executor: dg.ExecutorDefinition | None = None,
) -> dg.Definitions:
    """Definitions that keep ``tables`` complete; building them never opens the warehouse.

    Each table gets its source spec, an asset counting its missing values in SQL (with a WARN
    ``missing_values`` check, run by ``--select '*'``), one model asset per column
    to impute, the imputed table with a blocking expectations check and a WARN distribution
    check, a place in the automation condition sensor and (when partitioned) in the partition
    sensor. A table without
    ``columns`` takes them from ``discovery`` (see ``impute_assets.pipeline.discovery``; the
    YAML component keeps it as its state); until then its runs fail and say why. Default
    resources read each table's URL from its env var; ``resources`` replaces any of them.
    ``name`` makes the sensor names unique when a code location calls this more than once
    (default: the first imputed table's key). ``executor`` runs the steps (e.g.
    ``dagster_celery.celery_executor``); one that spreads steps over hosts refuses tables on a
    local DuckDB/SQLite file or a ``memory://`` model store.

    Example:
        >>> defs = build_imputation_defs([{"table": "weather", "columns": ["temp"]}])
        >>> sorted(s.name for s in defs.sensors)
        ['impute_automation__weather_imputed']
    """
    specs = [t if isinstance(t, TableSpec) else TableSpec.parse(dict(t)) for t in tables]
    _unique_outputs(specs)
    if executor is not None:
        refuse_single_host_tables(executor.name, specs, dict(os.environ), model_store)
    discovery = discovery or Discovery()
    built = []
    for spec in specs:
        columns, broken = columns_or_error(spec, discovery)
        built.append(build_table_assets(spec, columns, translator, broken=broken))
    defaults: dict[str, Any] = {
        warehouse_key(s): _default(WarehouseResource, url=dg.EnvVar(s.url_env), url_env=s.url_env)
        for s in specs
    }
    defaults[MODEL_STORE_KEY] = (
        _default(ModelStoreResource, root=model_store) if model_store else _default(ModelStoreResource)
    )
    defaults[TORCH_KEY] = _default(TorchResource)
    suffix = sensor_suffix(built, name)
    sensors: list[dg.SensorDefinition] = (
        [automation_sensor(built, f"{AUTOMATION_SENSOR}__{suffix}")] if built else []
    )
    if any(s.partition for s in specs):
        sensors.append(partition_sensor(built, f"{PARTITION_SENSOR}__{suffix}"))
    return dg.Definitions(
        assets=[
            a for t in built for a in (t.source, t.missing, t.models, t.imputed) if a is not None
        ],
        asset_checks=[c for t in built for c in (expectations_check(t), distribution_check(t))],
        sensors=sensors,
        resources={**defaults, **(resources or {})},
        executor=executor,
    )


@functools.lru_cache(maxsize=None, typed=True)
def _default(kind: type[dg.ConfigurableResource], **config: str) -> dg.ConfigurableResource:
    """One default resource object per configuration: ``Definitions.merge`` accepts two calls'
    defaults only when they are the same object. (Each step and tick opens its own copy.)"""
    return kind(**config)


def sensor_suffix(built: Sequence[TableAssets], name: str | None) -> str:
    """What tells this call's sensors apart: ``name``, or the first imputed table's key
    (asset keys are unique in a code location, so two calls never share it)."""
    text = name or (built[0].imputed_key.to_user_string() if built else "none")
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text)


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
