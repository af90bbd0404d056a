"""The asset factory: per table a source spec, its missing-values count, one model asset per
column, the imputed table.

``build_imputation_specs`` returns the plain AssetSpecs (like ``build_dbt_asset_specs``);
``build_table_assets`` returns the executable definitions for one table.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from pydantic import Field

from impute_assets.dagster.concurrency import fill_pool
from impute_assets.dagster.executors import refuse_single_host
from impute_assets.dagster.kubernetes import FILL_POD_TAGS, TRAINING_POD_TAGS
from impute_assets.dagster.metadata import (
    LEFT_VERSION,
    config_version,
    fill_metadata,
    fill_record_metadata,
    frame_version,
    left_metadata,
    model_metadata,
)
from impute_assets.dagster.missing import missing_values_asset
from impute_assets.dagster.partitions import partitions_def
from impute_assets.dagster.translator import (
    ImputationAssetData,
    ImputationTranslator,
    dagster_name,
)
from impute_assets.pipeline.discovery import Discovery, DiscoveryError
from impute_assets.pipeline.spec import DEFAULT_URL_ENV, TableSpec

#: Training steps share this concurrency pool (limit it to the number of GPUs).
GPU_POOL = "gpu"
MODEL_STORE_KEY = "model_store"
TORCH_KEY = "torch"


class TrainConfig(dg.Config):
    """Run config of a table's model assets."""

    force_retrain: bool = Field(
        False, description="train every selected column's model, even when one could be reused"
    )


class FillConfig(dg.Config):
    """Run config of a table's imputed-table asset."""

    dry_run: bool = Field(
        False,
        description="do everything but publish: the would-be fills (with their audit "
        "columns) go to <output>__preview, the output and audit tables stay untouched, and the "
        "asset is observed, not materialized",
    )


@dataclass(frozen=True)
class TableAssets:
    """Everything the factory made for one table."""

    spec: TableSpec
    columns: list[str]
    source: dg.AssetSpec
    missing: dg.AssetsDefinition
    models: dg.AssetsDefinition | None
    imputed: dg.AssetsDefinition
    model_keys: dict[str, dg.AssetKey]
    #: Why the table's runs fail (its columns could not be discovered), or None.
    broken: str | None = None

    @property
    def imputed_key(self) -> dg.AssetKey:
        """Key of the filled table asset."""
        return self.imputed.key


def warehouse_key(spec: TableSpec) -> str:
    """Resource key of the warehouse a table lives in (one resource per URL env var)."""
    if spec.url_env == DEFAULT_URL_ENV:
        return "warehouse"
    return "warehouse_" + dagster_name(spec.url_env.lower())


def build_imputation_specs(
    tables: Sequence[TableSpec],
    translator: ImputationTranslator | None = None,
    discovery: Discovery | None = None,
) -> list[dg.AssetSpec]:
    """Plain AssetSpecs (source, missing values, models, imputed) for ``tables``, with deps
    and partitions.

    A table without ``columns`` takes them from ``discovery`` (found outside code loading); a
    table not discovered yet, or whose discovery failed, gets no model specs.
    """
    translator = translator or ImputationTranslator()
    discovery = discovery or Discovery()
    specs: list[dg.AssetSpec] = []
    for spec in tables:
        columns, _ = columns_or_error(spec, discovery)
        source, missing, models, imputed = _specs_for(spec, columns, translator)
        specs += [source, missing, *models.values(), imputed]
    return specs


def columns_or_error(spec: TableSpec, discovery: Discovery) -> tuple[list[str], str | None]:
    """The columns to impute, or none and why (the message the table's runs fail with)."""
    try:
        return discovery.columns_for(spec), None
    except DiscoveryError as exc:
        return [], str(exc)


def _specs_for(
    spec: TableSpec, columns: list[str], translator: ImputationTranslator
) -> tuple[dg.AssetSpec, dg.AssetSpec, dict[str, dg.AssetSpec], dg.AssetSpec]:
    source = translator.get_asset_spec(ImputationAssetData("source", spec))
    missing = _merged(
        translator.get_asset_spec(ImputationAssetData("missing_values", spec)), deps=[source.key]
    )
    models = {
        column: _merged(
            translator.get_asset_spec(ImputationAssetData("model", spec, column)),
            deps=[source.key],
            code_version=config_version(spec.config_for(column)),
        ).replace_attributes(skippable=True)
        for column in columns
    }
    imputed = _merged(
        translator.get_asset_spec(ImputationAssetData("imputed", spec)),
        deps=[source.key, *(m.key for m in models.values())],
        partitions_def=partitions_def(spec),
        code_version=config_version(spec.model_dump(mode="json")),
        automation_condition=refill_condition(source.key, partitioned=spec.partition is not None),
    ).replace_attributes(skippable=True)  # a dry run publishes, so materializes, nothing
    return source, missing, models, imputed


def _merged(asset: dg.AssetSpec, deps: Sequence[dg.AssetKey], **defaults: Any) -> dg.AssetSpec:
    """The translator's spec with the factory's deps added, and each other factory attribute
    set only where the translator chose none (like dagster-sling's ``code_version``)."""
    known = {dep.asset_key for dep in asset.deps}
    unset = {name: value for name, value in defaults.items() if getattr(asset, name) is None}
    return asset.merge_attributes(deps=[k for k in deps if k not in known]).replace_attributes(
        **unset
    )


def refill_condition(source: dg.AssetKey, partitioned: bool = False) -> dg.AutomationCondition:
    """Refill when a model's data version changes (a new version was trained), like ``eager()``.

    A reused model is materialized with its unchanged version, so it triggers nothing:
    ``eager()`` would refill on every materialization. The source table is an external asset,
    never materialized, so ``eager()`` alone would wait for it forever ("deps missing"): it is
    ignored here. New source rows, and a ``partitioned`` table's partitions never filled, are
    the partition sensor's job: only partitions filled before are refilled here (else the
    first training would launch every partition's fill twice, once from each sensor).
    """
    condition = (
        dg.AutomationCondition.eager()
        .replace("newly_updated", dg.AutomationCondition.data_version_changed())
        .ignore(dg.AssetSelection.assets(source))
    )
    return condition & ~dg.AutomationCondition.missing() if partitioned else condition


def build_table_assets(
    spec: TableSpec,
    columns: list[str],
    translator: ImputationTranslator | None = None,
    broken: str | None = None,
) -> TableAssets:
    """The source spec, the missing-values asset, the model multi-asset (None without
    columns) and the imputed-table asset of one table. A ``broken`` table (its columns could
    not be discovered) still loads: its runs fail with that message, and no other table's do."""
    source, missing_spec, model_specs, imputed_spec = _specs_for(
        spec, columns, translator or ImputationTranslator()
    )
    wh_key = warehouse_key(spec)
    column_of = {s.key: c for c, s in model_specs.items()}
    name = _op_name(spec)
    missing = missing_values_asset(spec, missing_spec, name, wh_key)

    @dg.multi_asset(
        name=f"{name}__models",
        specs=list(model_specs.values()),
        can_subset=True,
        pool=GPU_POOL,
        op_tags=TRAINING_POD_TAGS,
        required_resource_keys={wh_key, MODEL_STORE_KEY, TORCH_KEY},
    )
    def models(context: AssetExecutionContext, config: TrainConfig):
        from impute_assets.pipeline.context import TableContext
        from impute_assets.pipeline.training import train_or_reuse

        _refuse_single_host(context, spec, wh_key)
        torch_resource = getattr(context.resources, TORCH_KEY)
        torch_resource.apply_threads()
        table = TableContext(
            spec,
            getattr(context.resources, wh_key).get_warehouse(),
            getattr(context.resources, MODEL_STORE_KEY).get_store(),
            torch_resource.config_overrides(),
            context.log,
        )
        record = train_or_reuse(
            table,
            [column_of[k] for k in context.selected_asset_keys],
            force_retrain=config.force_retrain,
        )
        for model in record.models:
            yield dg.MaterializeResult(
                asset_key=model_specs[model.column].key,
                data_version=dg.DataVersion(model.version) if model.version else None,
                metadata=model_metadata(model).to_metadata(),
            )
        # a column left without a model is materialized too, saying why: never materialized,
        # it would keep the imputed asset's automation waiting on a missing dependency
        for column, why in record.left.items():
            yield dg.MaterializeResult(
                asset_key=model_specs[column].key,
                data_version=dg.DataVersion(LEFT_VERSION),
                metadata=left_metadata(column, why).to_metadata(),
            )

    @dg.multi_asset(
        name=f"{name}__imputed",
        specs=[imputed_spec],
        pool=fill_pool(spec),
        op_tags=FILL_POD_TAGS,
        required_resource_keys={wh_key, MODEL_STORE_KEY, TORCH_KEY},
    )
    def imputed(context: AssetExecutionContext, config: FillConfig):
        from impute_assets.pipeline.context import TableContext
        from impute_assets.pipeline.filling import NothingToFill, fill_and_publish

        if broken:
            raise dg.Failure(description=broken)
        _refuse_single_host(context, spec, wh_key)
        table = TableContext(
            spec,
            getattr(context.resources, wh_key).get_warehouse(),
            getattr(context.resources, MODEL_STORE_KEY).get_store(),
            getattr(context.resources, TORCH_KEY).config_overrides(),
            context.log,
        )
        try:
            record = fill_and_publish(
                table,
                columns,
                partition_key=context.partition_key if context.has_partition_key else None,
                run_id=context.run.run_id,
                dry_run=config.dry_run,
            )
        except NothingToFill as empty:  # skipped: no materialization, its checks skip too
            context.log.info(str(empty))
            return
        if record.dry_run:  # nothing published: an observation, and no materialization
            context.log_event(
                dg.AssetObservation(
                    asset_key=imputed_spec.key,
                    partition=record.partition,
                    metadata=fill_record_metadata(record).to_metadata(),
                )
            )
            return
        yield dg.MaterializeResult(
            metadata=fill_metadata(spec, record, source.key),
            data_version=frame_version(record.filled),
        )

    return TableAssets(
        spec,
        columns,
        source,
        missing,
        models if model_specs else None,
        imputed,
        {c: s.key for c, s in model_specs.items()},
        broken,
    )


def _refuse_single_host(context: AssetExecutionContext, spec: TableSpec, wh_key: str) -> None:
    """Fail the step when this run's executor spreads steps over hosts its storage is not on."""
    refuse_single_host(
        context.job_def.executor_def.name,
        spec.table,
        getattr(context.resources, wh_key).url,
        getattr(context.resources, MODEL_STORE_KEY).root,
    )


def _op_name(spec: TableSpec) -> str:
    """The table's op names start with this (unique per schema-qualified table)."""
    return dagster_name(spec.store_name)
