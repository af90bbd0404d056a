"""The warehouse rows each partition key stands for (no orchestrator here).

Every row of a dynamically partitioned table lands in a partition: rows whose partition value is
NULL under the key :data:`NULL_KEY`, rows whose value is the empty string under
:data:`EMPTY_KEY` (Dagster has no empty partition key: a run for ``''`` is a run of the whole
table).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from impute_assets.pipeline.spec import PartitionSpec, TableSpec

if TYPE_CHECKING:
    from impute_assets.warehouse import Warehouse

#: Key of the rows whose (dynamic) partition value is NULL.
NULL_KEY = "__null__"
#: Key of the rows whose (dynamic) partition value is the empty string.
EMPTY_KEY = "__empty__"
_VALUE_OF = {NULL_KEY: None, EMPTY_KEY: ""}


def partition_filter(spec: TableSpec, key: str | None) -> tuple[str, str | None] | None:
    """What ``Warehouse.read/publish`` get as ``partition`` for a Dagster partition key.

    Dynamic keys are the column's values as text (:data:`NULL_KEY` and :data:`EMPTY_KEY` stand
    for NULL and ``''``). Time windows need a date column holding each row's window start (e.g.
    ``month_start``), so the key ``2013-01-01`` is the value itself.
    """
    part = spec.partition
    if part is None or key is None:
        return None
    if part.kind == "dynamic" and key in _VALUE_OF:
        return (part.column, _VALUE_OF[key])
    return (part.column, key)


def key_for_value(part: PartitionSpec, value: Any) -> str:
    """The partition key of a warehouse partition value (text, dates in ISO form; NULL and
    ``''`` as :data:`NULL_KEY` and :data:`EMPTY_KEY` for dynamic partitions)."""
    if part.kind == "dynamic":
        if value is None or value == "":
            return NULL_KEY if value is None else EMPTY_KEY
        return str(value)
    moment = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return moment.isoformat()


def partition_row_counts(spec: TableSpec, warehouse: Warehouse) -> dict[str, int]:
    """Rows per partition key of the source table, counted in the warehouse in one query
    (sorted by key). Rows of a time-window table whose date is NULL belong to no window and
    have no key."""
    part = spec.partition
    assert part is not None
    profile = warehouse.profile(
        spec.table, schema=spec.db_schema, partition_column=part.column, columns=[]
    )
    counts: dict[str, int] = {}
    for value, rows in profile.partitions.items():
        if value is not None or part.kind == "dynamic":
            key = key_for_value(part, value)
            counts[key] = counts.get(key, 0) + rows.rows
    return dict(sorted(counts.items()))
