"""The missing-values asset: a table's gaps per column (and per partition), counted in SQL.

It reads the source table, and so lets ``--select '*'`` and "Materialize all" count the gaps:
a check on the source itself would never run there, because Dagster only runs the checks of
assets it materializes and the source is external. Its check,
``missing_values``, warns (never fails) when there are gaps: a table being imputed has them.
"""

import hashlib
import json
from collections.abc import Iterator

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from impute_assets.core.markdown import records_table
from impute_assets.dagster.metadata import png_markdown
from impute_assets.dagster.metadata_set import ImputationMetadata
from impute_assets.pipeline.records import MissingCounts
from impute_assets.pipeline.spec import TableSpec
from impute_assets.pipeline.summary import missing_rows

MISSING_VALUES_CHECK = "missing_values"


def missing_values_asset(
    spec: TableSpec, asset: dg.AssetSpec, op_name: str, warehouse_key: str
) -> dg.AssetsDefinition:
    """The asset that counts ``spec``'s missing values, with its WARN ``missing_values`` check."""
    check = dg.AssetCheckSpec(
        MISSING_VALUES_CHECK,
        asset=asset.key,
        blocking=False,
        description=f"Warns when {spec.table} has missing values: expected in a table being "
        "imputed, so never an error.",
    )

    @dg.multi_asset(
        name=f"{op_name}__missing_values",
        specs=[asset],
        check_specs=[check],
        required_resource_keys={warehouse_key},
    )
    def _count(
        context: AssetExecutionContext,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        from impute_assets.pipeline.detect import detect

        missing = detect(
            spec, getattr(context.resources, warehouse_key).get_warehouse(), per_partition=True
        )
        context.log.info(gaps_summary(missing))
        yield dg.MaterializeResult(
            asset_key=asset.key,
            data_version=_counts_version(missing),
            metadata={"dagster/row_count": missing.rows, **_counts_metadata(spec, missing)},
        )
        yield dg.AssetCheckResult(
            asset_key=asset.key,
            check_name=MISSING_VALUES_CHECK,
            passed=missing.rows > 0 and missing.missing_cells == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=gaps_summary(missing),
            metadata=ImputationMetadata(missing_cells=missing.missing_cells).to_metadata(),
        )

    return _count


def _counts_metadata(spec: TableSpec, missing: MissingCounts) -> dict[str, object]:
    """The null counts as a markdown table and heatmaps (per column, and per partition)."""
    from impute_assets import plots

    shares = pd.DataFrame([{c: missing.share(c) for c in missing.nulls}], index=[spec.table])
    images = {"Share of missing values": plots.null_share_heatmap(shares)}
    if missing.by_partition:
        by_partition = pd.DataFrame(missing.by_partition).T
        by_partition.index.name = spec.partition.column  # type: ignore[union-attr]
        images["Share of missing values per partition"] = plots.null_share_heatmap(by_partition)
    return ImputationMetadata(
        missing_cells=missing.missing_cells,
        nulls=records_table(missing_rows(missing)),
        heatmap=png_markdown(images),
    ).to_metadata()


def _counts_version(missing: MissingCounts) -> dg.DataVersion:
    """Unchanged counts keep their data version, so recounting alone looks like no change."""
    payload = json.dumps(
        [missing.rows, missing.nulls, missing.by_partition], sort_keys=True, default=str
    )
    return dg.DataVersion(hashlib.sha256(payload.encode()).hexdigest()[:16])


def gaps_summary(missing: MissingCounts) -> str:
    """The missing-values check's one line, in the words of a warning (gaps are expected); a
    table without rows is not "complete", it was not checked."""
    if not missing.rows:
        return f"skipped: {missing.table} has no rows, so nothing was checked"
    if not missing.missing_cells:
        return f"ok: no missing values in {missing.rows:,} rows of {missing.table}"
    return (
        f"warn: {missing.missing_cells:,} missing values in {missing.rows:,} rows "
        f"({len(missing.incomplete)} of {len(missing.nulls)} columns have gaps); expected in a "
        "table being imputed: its imputed table fills them"
    )
