"""Dagster partitions definitions of a table (the rows a key stands for: pipeline.partitions)."""

from __future__ import annotations

import dagster as dg

from impute_assets.pipeline.spec import TableSpec


def partitions_def(spec: TableSpec) -> dg.PartitionsDefinition | None:
    """The PartitionsDefinition for a table (None when it is not partitioned)."""
    part = spec.partition
    if part is None:
        return None
    if part.kind == "dynamic":
        return dg.DynamicPartitionsDefinition(name=dynamic_partitions_name(spec))
    start = part.start.isoformat()  # type: ignore[union-attr]  # validated in PartitionSpec
    if part.kind == "daily":
        return dg.DailyPartitionsDefinition(start_date=start)
    return dg.MonthlyPartitionsDefinition(start_date=start)


def dynamic_partitions_name(spec: TableSpec) -> str:
    """Name of a table's dynamic partition set (unique per schema and table)."""
    return "__".join(filter(None, [spec.db_schema, spec.table, "partitions"]))
