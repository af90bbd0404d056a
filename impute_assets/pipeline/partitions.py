"""The warehouse rows each partition key stands for (no orchestrator here).

Every row of a dynamically partitioned table lands in a partition: rows whose partition value is
NULL under the key :data:`NULL_KEY`, rows whose value is the empty string under
:data:`EMPTY_KEY` (Dagster has no empty partition key: a run for ``''`` is a run of the whole
table).

A time-window (daily, monthly) table's partition column holds each row's window start (e.g.
``month_start``), matched by equality. Rows no window covers -- a NULL value, a date before
``start``, a window not yet begun (or, in Dagster, not yet complete), a date that is no window
start (mid-month in a monthly table) -- are never filled and never silently dropped: they are
counted (:func:`uncovered_rows`) and reported, by :class:`~impute_assets.pipeline.run.TableRun`
in its log and record and by the partition sensor in its log and skip reason.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from impute_assets.pipeline.context import source_table
from impute_assets.pipeline.spec import PartitionSpec, TableSpec

if TYPE_CHECKING:
    from impute_assets.warehouse import TableDescription, Warehouse

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


class PartitionValuesMerged(ValueError):
    """The partition column's collation compares distinct values equal: their partitions would
    read and replace each other's rows. Refused before any work."""


def check_partition_values(
    spec: TableSpec, warehouse: Warehouse, source: TableDescription | None = None
) -> None:
    """Refuse a dynamic partition column whose collation merges distinct values (MariaDB's
    default ``utf8mb4_general_ci``: ``Key``/``key``, ``trail``/``trail ``), naming them.
    ``source``: the table's description, when the caller has it."""
    part = spec.partition
    if part is None or part.kind != "dynamic":
        return
    collation, twins = warehouse.collation_twins(
        source_table(spec, source), part.column, spec.db_schema
    )
    if twins:
        groups = "; ".join(" = ".join(repr(v) for v in group) for group in twins)
        raise PartitionValuesMerged(
            f"table {spec.table!r}: partition column {part.column!r} (collation {collation}) "
            f"compares distinct values equal ({groups}), so their partitions would merge; "
            f"nothing was done. Give the column a binary collation (e.g. COLLATE "
            f"utf8mb4_bin) or partition by a column whose values differ under it"
        )


def partition_row_counts(
    spec: TableSpec,
    warehouse: Warehouse,
    table: str | None = None,
    source: TableDescription | None = None,
) -> dict[str, int]:
    """Rows per partition key of the source table (or of ``table``, e.g. the output), counted in
    the warehouse in one query (sorted by key). Rows whose value is NULL are counted under
    :data:`NULL_KEY` (for a time-window table no window covers them: :func:`uncovered_rows`).
    Refuses a column whose collation merges distinct values (:func:`check_partition_values`).
    ``source``: the source table's description, when the caller has it."""
    part = spec.partition
    assert part is not None
    check_partition_values(spec, warehouse, source)
    profile = warehouse.profile(
        table or source_table(spec, source),
        schema=spec.db_schema,
        partition_column=part.column,
        columns=[],
    )
    counts: dict[str, int] = {}
    for value, rows in profile.partitions.items():
        key = NULL_KEY if value is None else key_for_value(part, value)
        counts[key] = counts.get(key, 0) + rows.rows
    return dict(sorted(counts.items()))


def uncovered_rows(
    part: PartitionSpec, counts: Mapping[str, int], windows: Collection[str] | None = None
) -> dict[str, int]:
    """The keys of ``counts`` no time window covers, with their rows (empty for dynamic
    partitions: every value is a key). A key is a window when it is a window start (any day;
    the first of a month for monthly partitions) from ``start`` up to today, or, given
    ``windows`` (a partitions definition's keys), one of those."""
    if part.kind == "dynamic":
        return {}
    return {k: rows for k, rows in counts.items() if rows and not _is_window(part, k, windows)}


def _is_window(part: PartitionSpec, key: str, windows: Collection[str] | None) -> bool:
    if windows is not None:
        return key in windows
    if key == NULL_KEY:
        return False
    moment = date.fromisoformat(key)
    start = part.start or moment
    return start <= moment <= date.today() and (part.kind == "daily" or moment.day == 1)


def uncovered_line(spec: TableSpec, uncovered: Mapping[str, int], shown: int = 5) -> str:
    """One line reporting the rows no partition window covers (never filled), with a count per
    value (NULL for :data:`NULL_KEY`), or '' when there are none."""
    if not uncovered:
        return ""
    part = spec.partition
    assert part is not None
    values = [f"{'NULL' if k == NULL_KEY else k}: {n}" for k, n in uncovered.items()]
    more = f", ... ({len(values) - shown} more values)" if len(values) > shown else ""
    return (
        f"table {spec.table!r}: {sum(uncovered.values())} row(s) are in no {part.kind} "
        f"partition window of column {part.column!r} (start {part.start}; a value must be a "
        f"window start, not NULL nor in the future) and are not filled: "
        f"{', '.join(values[:shown])}{more}"
    )
