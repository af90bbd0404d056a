"""Asset checks: missing values in the source (WARN); expectations on the output (blocking)."""

import warnings

import dagster as dg
import pandas as pd
from dagster import AssetCheckExecutionContext

from impute_assets.dagster.assets import MODEL_STORE_KEY, TableAssets, warehouse_key
from impute_assets.dagster.metadata import md_table, png_markdown
from impute_assets.dagster.metadata_set import ImputationMetadata
from impute_assets.dagster.missingness import null_counts, partition_shares
from impute_assets.pipeline.partitions import partition_filter

MISSING_VALUES_CHECK = "missing_values"
#: How the metadata names each way the expectations ran.
_ENGINES = {
    "sql": "in the warehouse (Great Expectations SQL datasource)",
    "dataframe": "as a DataFrame (Great Expectations pandas datasource)",
}
EXPECTATIONS_CHECK = "expectations"


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

        warehouse = getattr(context.resources, wh_key).get_warehouse()
        partition_column = spec.partition.column if spec.partition else None
        profile = warehouse.profile(
            spec.table, schema=spec.db_schema, partition_column=partition_column
        )
        rows, nulls = null_counts(profile)
        watched = [c for c in nulls if c not in spec.exclude]
        total = sum(nulls[c] for c in watched)
        shares = pd.DataFrame([{c: nulls[c] / max(rows, 1) for c in watched}], index=[spec.table])
        by_partition = partition_shares(profile, watched)
        images = {"Share of missing values": _heatmap(plots, shares)}
        if by_partition is not None and len(by_partition):
            images["Share of missing values per partition"] = _heatmap(plots, by_partition)
        incomplete = [c for c in watched if nulls[c]]
        return dg.AssetCheckResult(
            passed=total == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=gaps_summary(spec.table, total, rows, len(incomplete), len(watched)),
            metadata={
                "dagster/row_count": rows,
                **ImputationMetadata(
                    missing_cells=total,
                    nulls=md_table(
                        {"column": c, "nulls": nulls[c], "share": nulls[c] / max(rows, 1)}
                        for c in incomplete
                    ),
                    heatmap=png_markdown(images),
                ).to_metadata(),
            },
        )

    return _check


def expectations_check(assets: TableAssets) -> dg.AssetChecksDefinition:
    """Great Expectations on the published filled table; blocks downstream assets on failure."""
    with warnings.catch_warnings():
        # Partitioned checks are a preview in dagster 1.13; ours follow the asset's partitions.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return _expectations_check(assets)


def _expectations_check(assets: TableAssets) -> dg.AssetChecksDefinition:
    spec = assets.spec
    wh_key = warehouse_key(spec)

    @dg.asset_check(
        asset=assets.imputed_key,
        name=EXPECTATIONS_CHECK,
        blocking=True,
        required_resource_keys={wh_key, MODEL_STORE_KEY},
        partitions_def=assets.imputed.partitions_def,
        description=f"Great Expectations suite learned from the data {spec.table}'s models "
        "were trained on.",
    )
    def _check(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        from impute_assets.pipeline.filling import (
            build_table_suite,
            columns_with_models,
            reference_profile,
            validate_published,
        )

        resource = getattr(context.resources, wh_key)
        store = getattr(context.resources, MODEL_STORE_KEY).get_store()
        warehouse = resource.get_warehouse()
        key = context.partition_key if context.has_partition_key else None
        partition = partition_filter(spec, key)
        source = warehouse.read(spec.table, schema=spec.db_schema, partition=partition)
        stored = columns_with_models(spec, store, [c for c in assets.columns if c in source.columns])
        suite = build_table_suite(spec, source, reference_profile(spec, store, stored))
        result = validate_published(spec, warehouse, resource.url, suite, partition)
        return dg.AssetCheckResult(
            passed=bool(result.success),
            metadata=ImputationMetadata(
                engine=_ENGINES[result.engine],
                expectations=result.to_markdown(),
                evaluated=len(result.results),
                failed=sum(1 for r in result.results if not r.success),
            ).to_metadata(),
        )

    return _check


def gaps_summary(table: str, cells: int, rows: int, incomplete: int, watched: int) -> str:
    """The missing-values check's one line, in the words of a warning (gaps are expected)."""
    if not cells:
        return f"ok: no missing values in {rows:,} rows of {table}"
    return (
        f"warn: {cells:,} missing values in {rows:,} rows ({incomplete} of {watched} columns "
        f"have gaps); expected in a table being imputed: its imputed table fills them"
    )


def _heatmap(plots: object, shares: pd.DataFrame) -> bytes:
    return plots.null_share_heatmap(shares)  # type: ignore[attr-defined]
