"""Dagster partitions of a table, and the warehouse rows each partition key stands for."""

from __future__ import annotations

from datetime import date
from typing import Any

import dagster as dg

from impute_assets.dagster.spec import PartitionSpec, TableSpec


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


def partition_filter(spec: TableSpec, key: str | None) -> tuple[str, str] | None:
    """What ``Warehouse.read/publish`` get as ``partition`` for a Dagster partition key.

    Dynamic keys are the column's values as text. Time windows need a date column holding each
    row's window start (e.g. ``month_start``), so the key ``2013-01-01`` is the value itself.
    """
    part = spec.partition
    if part is None or key is None:
        return None
    return (part.column, key)


def key_for_value(part: PartitionSpec, value: Any) -> str:
    """The partition key of a warehouse partition value (text, dates in ISO form)."""
    if part.kind == "dynamic":
        return str(value)
    moment = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return moment.isoformat()
