"""Dagster partitions of a table, and the warehouse rows each partition key stands for."""

from __future__ import annotations

from datetime import datetime, timedelta
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


def partition_filter(spec: TableSpec, key: str | None) -> tuple[str, Any] | None:
    """What ``Warehouse.read/publish`` get as ``partition`` for a Dagster partition key.

    Dynamic keys are the column's values as text; time windows become ``(column, (start, end))``
    with a half-open range ``start <= column < end``.
    """
    part = spec.partition
    if part is None or key is None:
        return None
    if part.kind == "dynamic":
        return (part.column, key)
    return (part.column, window(part, key))


def window(part: PartitionSpec, key: str) -> tuple[datetime, datetime]:
    """The half-open time range of a daily or monthly partition key."""
    start = datetime.fromisoformat(key)
    if part.kind == "daily":
        return start, start + timedelta(days=1)
    year, month = divmod(start.month, 12)
    return start, start.replace(year=start.year + year, month=month + 1)


def key_for_value(part: PartitionSpec, value: Any) -> str:
    """The partition key holding a warehouse value (dynamic: the text; windows: the window start)."""
    if part.kind == "dynamic":
        return str(value)
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if part.kind == "daily":
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-01")
