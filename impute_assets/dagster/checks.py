"""Asset checks on the imputed table: the suite's invariants (blocking) and its distribution
checks (WARN unless the table's validation says ``block``). The source's missing-values check
lives on its missing-values asset (:mod:`.missing`)."""

import warnings

import dagster as dg
from dagster import AssetCheckExecutionContext

from impute_assets.dagster.assets import MODEL_STORE_KEY, TableAssets, warehouse_key
from impute_assets.dagster.metadata_set import ImputationMetadata

#: How the metadata names each way the expectations ran.
_ENGINES = {
    "sql": "in the warehouse (Great Expectations SQL datasource)",
    "dataframe": "as a DataFrame (Great Expectations pandas datasource)",
}
EXPECTATIONS_CHECK = "expectations"
DISTRIBUTION_CHECK = "distribution"


def expectations_check(assets: TableAssets) -> dg.AssetChecksDefinition:
    """The suite's invariants on the published filled table; blocks downstream assets."""
    return _suite_check(assets, "invariants", EXPECTATIONS_CHECK, blocking=True,
                        what="row count, nulls, ranges and vocabularies")  # fmt: skip


def distribution_check(assets: TableAssets) -> dg.AssetChecksDefinition:
    """The suite's distribution checks (mean, std, KL, KS): WARN, or blocking when opted in."""
    blocking = assets.spec.validation.distribution == "block"
    return _suite_check(assets, "distribution", DISTRIBUTION_CHECK, blocking=blocking,
                        what="mean, std, KL divergence and KS statistic")  # fmt: skip


def _suite_check(
    assets: TableAssets, check: str, name: str, blocking: bool, what: str
) -> dg.AssetChecksDefinition:
    with warnings.catch_warnings():
        # Partitioned checks are a preview in dagster 1.13; ours follow the asset's partitions.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return _build_suite_check(assets, check, name, blocking, what)


def _build_suite_check(
    assets: TableAssets, check: str, name: str, blocking: bool, what: str
) -> dg.AssetChecksDefinition:
    spec = assets.spec
    wh_key = warehouse_key(spec)

    @dg.asset_check(
        asset=assets.imputed_key,
        name=name,
        blocking=blocking,
        required_resource_keys={wh_key, MODEL_STORE_KEY},
        partitions_def=assets.imputed.partitions_def,
        description=f"Great Expectations ({what}) learned from the data {spec.table}'s models "
        "were trained on.",
    )
    def _check(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        from impute_assets.pipeline.suite import check_published

        partition = context.partition_key if context.has_partition_key else None
        failed = failed_fill(context.instance, assets.imputed_key, partition)
        if failed:  # the published table is an older fill's: checking it would pass stale rows
            return dg.AssetCheckResult(
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"skipped: the last fill of {spec.table}"
                f"{f' (partition {partition})' if partition else ''} failed in run {failed} "
                "after its last publish, so the published table does not hold it; nothing was "
                "checked (rerun the fill)",
            )
        resource = getattr(context.resources, wh_key)
        result = check_published(
            spec,
            resource.get_warehouse(),
            getattr(context.resources, MODEL_STORE_KEY).get_store(),
            assets.columns,
            partition,
            check=check,
        )
        held = all(r.success for r in result.results)
        return dg.AssetCheckResult(
            # a subject that was not checked (no rows, a column left unfilled or without a
            # model) never passes silently: it warns, with the reason
            passed=held and result.complete,
            severity=dg.AssetCheckSeverity.ERROR
            if blocking and not held
            else dg.AssetCheckSeverity.WARN,
            description=result.explain() or None,
            metadata=ImputationMetadata(
                engine=_ENGINES[result.engine],
                expectations=result.to_markdown(),
                evaluated=len(result.results),
                failed=sum(1 for r in result.results if not r.success),
                skipped=dict(result.skipped),
            ).to_metadata(),
        )

    return _check


def failed_fill(
    instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None
) -> str | None:
    """The id of the run that last planned to fill the asset (partition) when that run
    failed without materializing it since, else ``None``. (Dagster's open-source event logs
    keep no "failed to materialize" records, so the planned event and its run tell.)"""
    partitions = [partition] if partition else None
    (planned,) = instance.get_event_records(
        dg.EventRecordsFilter(
            dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, key, asset_partitions=partitions
        ),
        limit=1,
    ) or (None,)
    if planned is None:
        return None
    records = dg.AssetRecordsFilter(asset_key=key, asset_partitions=partitions)
    (published,) = instance.fetch_materializations(records, limit=1).records or (None,)
    if published is not None and published.storage_id > planned.storage_id:
        return None
    run = instance.get_run_by_id(planned.run_id)
    return planned.run_id if run is not None and run.status == dg.DagsterRunStatus.FAILURE else None
