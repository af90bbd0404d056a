"""The warehouse rows each partition key stands for (no orchestrator here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from impute_assets.pipeline.spec import PartitionSpec, TableSpec


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
