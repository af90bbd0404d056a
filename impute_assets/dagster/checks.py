"""Asset checks: missing values in the source (WARN); on the output, the suite's invariants
(blocking) and its distribution checks (WARN unless the table's validation says ``block``)."""

import warnings

import dagster as dg
import pandas as pd
from dagster import AssetCheckExecutionContext

from impute_assets.dagster.assets import MODEL_STORE_KEY, TableAssets, warehouse_key
from impute_assets.dagster.metadata import md_table, png_markdown
from impute_assets.dagster.metadata_set import ImputationMetadata
from impute_assets.pipeline.records import MissingCounts
from impute_assets.pipeline.summary import missing_rows

MISSING_VALUES_CHECK = "missing_values"
#: How the metadata names each way the expectations ran.
_ENGINES = {
    "sql": "in the warehouse (Great Expectations SQL datasource)",
    "dataframe": "as a DataFrame (Great Expectations pandas datasource)",
}
EXPECTATIONS_CHECK = "expectations"
DISTRIBUTION_CHECK = "distribution"


def missing_values_check(assets: TableAssets) -> dg.AssetChecksDefinition:
    """Count nulls per column (and per partition) in SQL; warn when the table has gaps."""
    spec = assets.spec
    wh_key = warehouse_key(spec)

    @dg.asset_check(
        asset=assets.source.key,
        name=MISSING_VALUES_CHECK,
        blocking=False,
        required_resource_keys={wh_key},
        description=f"Nulls per column of {spec.table}, counted in the warehouse. Gaps are "
        "expected in a table being imputed: they show as a warning, never as an error.",
    )
    def _check(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        from impute_assets import plots
        from impute_assets.pipeline.detect import detect

        warehouse = getattr(context.resources, wh_key).get_warehouse()
        missing = detect(spec, warehouse, per_partition=True)
        shares = pd.DataFrame([{c: missing.share(c) for c in missing.nulls}], index=[spec.table])
        images = {"Share of missing values": plots.null_share_heatmap(shares)}
        if missing.by_partition:
            by_partition = pd.DataFrame(missing.by_partition).T
            by_partition.index.name = spec.partition.column  # type: ignore[union-attr]
            images["Share of missing values per partition"] = plots.null_share_heatmap(by_partition)
        return dg.AssetCheckResult(
            passed=missing.missing_cells == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=gaps_summary(missing),
            metadata={
                "dagster/row_count": missing.rows,
                **ImputationMetadata(
                    missing_cells=missing.missing_cells,
                    nulls=md_table(missing_rows(missing)),
                    heatmap=png_markdown(images),
                ).to_metadata(),
            },
        )

    return _check


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

        resource = getattr(context.resources, wh_key)
        result = check_published(
            spec,
            resource.get_warehouse(),
            resource.url,
            getattr(context.resources, MODEL_STORE_KEY).get_store(),
            assets.columns,
            context.partition_key if context.has_partition_key else None,
            check=check,
        )
        return dg.AssetCheckResult(
            passed=all(r.success for r in result.results),
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            description=result.explain() or None,
            metadata=ImputationMetadata(
                engine=_ENGINES[result.engine],
                expectations=result.to_markdown(),
                evaluated=len(result.results),
                failed=sum(1 for r in result.results if not r.success),
            ).to_metadata(),
        )

    return _check


def gaps_summary(missing: MissingCounts) -> str:
    """The missing-values check's one line, in the words of a warning (gaps are expected)."""
    if not missing.missing_cells:
        return f"ok: no missing values in {missing.rows:,} rows of {missing.table}"
    return (
        f"warn: {missing.missing_cells:,} missing values in {missing.rows:,} rows "
        f"({len(missing.incomplete)} of {len(missing.nulls)} columns have gaps); expected in a "
        "table being imputed: its imputed table fills them"
    )
