"""``build_imputation_defs``: every asset, check, sensor and resource for a list of tables."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

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
from impute_assets.dagster.translator import ImputationTranslator, dagster_name
from impute_assets.dagster.undefined import undefined_table
from impute_assets.pipeline.discovery import Discovery
from impute_assets.pipeline.spec import TableSpec

_log = logging.getLogger(__name__)

#: Imputed asset key -> the file this process last declared it in (see ``_declared_elsewhere``).
_DECLARED: dict[dg.AssetKey, str] = {}


def build_imputation_defs(
    tables: Iterable[TableSpec | Mapping[str, Any]],
    translator: ImputationTranslator | None = None,
    resources: Mapping[str, Any] | None = None,
    model_store: str | None = None,
    discovery: Discovery | None = None,
    name: str | None = None,
    executor: dg.ExecutorDefinition | None = None,
    origin: str | None = None,
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
    if executor is not None:
        refuse_single_host_tables(executor.name, specs, dict(os.environ), model_store)
    defined, undefined = _each_table(specs, translator, discovery or Discovery(), origin)
    if origin:
        _declared_elsewhere(defined, origin)
    built = [t.assets for t in defined]
    defaults: dict[str, Any] = {
        warehouse_key(s): _default(WarehouseResource, url=dg.EnvVar(s.url_env), url_env=s.url_env)
        for s in specs
    }
    defaults[MODEL_STORE_KEY] = (
        _default(ModelStoreResource, root=model_store)
        if model_store
        else _default(ModelStoreResource)
    )
    defaults[TORCH_KEY] = _default(TorchResource)
    suffix = sensor_suffix(built, name)
    sensors: list[dg.SensorDefinition] = (
        [automation_sensor(built, f"{AUTOMATION_SENSOR}__{suffix}")] if built else []
    )
    if any(t.spec.partition for t in built):
        sensors.append(partition_sensor(built, f"{PARTITION_SENSOR}__{suffix}"))
    return dg.Definitions(
        assets=[*(a for t in defined for a in t.definitions), *undefined],
        asset_checks=[c for t in defined for c in t.checks],
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
    return dagster_name(text)


class _TableDefinitions(NamedTuple):
    assets: TableAssets
    definitions: list[dg.AssetsDefinition | dg.AssetSpec]
    checks: list[dg.AssetChecksDefinition]


def _each_table(
    specs: Sequence[TableSpec],
    translator: ImputationTranslator | None,
    discovery: Discovery,
    origin: str | None,
) -> tuple[list[_TableDefinitions], list[dg.AssetsDefinition]]:
    """Every table's definitions, built in isolation: a table whose definitions fail, or
    whose keys another table already has, is left out and stands as an undefined table."""
    built: list[_TableDefinitions] = []
    undefined: list[dg.AssetsDefinition] = []
    owners: dict[dg.AssetKey, str] = {}
    where = f" in {origin}" if origin else ""
    for number, spec in enumerate(specs, start=1):
        entry = f"entry {number}{where}"
        try:
            table = _table_definitions(spec, translator, discovery)
            keys = _keys(table)
            clash = sorted({owners[k] for k in keys if k in owners})
            if clash:
                raise ValueError(
                    f"its asset keys are already those of {', '.join(clash)} (the same table "
                    "listed twice, or two tables writing one output_table); remove or rename "
                    "one"
                )
        except Exception as exc:  # noqa: BLE001  one table's failure is its own
            undefined.append(undefined_table(spec, entry, str(exc), set(owners)))
            owners.update((k, entry) for k in undefined[-1].keys)
            continue
        built.append(table)
        owners.update((k, f"{entry} (table {spec.store_name!r})") for k in keys)
    return built, undefined


def _declared_elsewhere(defined: Sequence[_TableDefinitions], origin: str) -> None:
    """Log an error naming both files when a table of ``origin`` was declared in another file.

    Dagster merges the Definitions of each component (or ``build_imputation_defs`` call) and
    fails the whole code location on a key two of them share ("Duplicate asset key", naming
    neither file); it offers no hook to isolate the table then, so this says which files
    declare it, just before that error."""
    for table in defined:
        keys = sorted(_keys(table) - {table.assets.source.key}, key=str)
        clash = [(k, _DECLARED[k]) for k in keys if _DECLARED.get(k, origin) != origin]
        if clash:
            key, other = clash[0]
            _log.error(
                "table %r (asset %s) is declared both in %s and in %s: a code location "
                "loading both fails with 'Duplicate asset key'; keep one entry, or give one "
                "a key_prefix in its translation",
                table.assets.spec.store_name,
                key.to_user_string(),
                other,
                origin,
            )
        _DECLARED.update((k, origin) for k in keys)


def _table_definitions(
    spec: TableSpec, translator: ImputationTranslator | None, discovery: Discovery
) -> _TableDefinitions:
    columns, broken = columns_or_error(spec, discovery)
    table = build_table_assets(spec, columns, translator, broken=broken)
    definitions = [a for a in (table.source, table.missing, table.models, table.imputed) if a]
    return _TableDefinitions(
        table, definitions, [expectations_check(table), distribution_check(table)]
    )


def _keys(table: _TableDefinitions) -> set[dg.AssetKey]:
    """Every asset key a table's definitions own (its external source included)."""
    keys: set[dg.AssetKey] = set()
    for definition in table.definitions:
        keys |= {definition.key} if isinstance(definition, dg.AssetSpec) else set(definition.keys)
    return keys
