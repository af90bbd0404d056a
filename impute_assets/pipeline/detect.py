"""Detect: count a table's missing cells in the warehouse (one SQL query, nothing read)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from impute_assets.core.kinds import ColumnKind
from impute_assets.pipeline.plan import sequence_keys
from impute_assets.pipeline.records import MissingCounts
from impute_assets.pipeline.spec import TableSpec

if TYPE_CHECKING:
    from impute_assets.warehouse import TableDescription, Warehouse

_log = logging.getLogger(__name__)


def detect(
    spec: TableSpec,
    warehouse: Warehouse,
    per_partition: bool = False,
    source: TableDescription | None = None,
) -> MissingCounts:
    """Rows and missing cells (NULL, and NaN in floats) per column not excluded by the spec;
    with ``per_partition``, also each partition's share of missing cells per column.
    ``source``: the table's description, when the caller has it (else described here, once)."""
    column = spec.partition.column if per_partition and spec.partition else None
    source = warehouse.describe(spec.table, spec.db_schema) if source is None else source
    profile = warehouse.profile(source, partition_column=column)
    watched = [str(c) for c in profile.missing if c not in spec.exclude]
    by_partition = {
        str(value): {c: part.missing.get(c, 0) / max(part.rows, 1) for c in watched}
        for value, part in sorted(profile.partitions.items(), key=lambda item: str(item[0]))
    }
    return MissingCounts(
        table=spec.table,
        rows=int(profile.rows),
        nulls={c: int(profile.missing[c]) for c in watched},
        by_partition=by_partition,
        unsupported={c: t for c, t in unsupported_columns(source).items() if c in watched},
    )


def unsupported_columns(source: TableDescription) -> dict[str, str]:
    """Column -> SQL type of the table's columns the engine never imputes nor reads (uuid,
    json, arrays, ...: the warehouse's ``unsupported`` kind); they pass through as read."""
    return {d.name: d.sql_type for d in source.columns if d.kind == ColumnKind.UNSUPPORTED}


def columns_to_impute(spec: TableSpec, missing: MissingCounts | None = None) -> list[str]:
    """The spec's ``columns``, or else every incomplete column not skipped (needs ``missing``).

    A column of a type the engine cannot impute (uuid, json, arrays, ...: the warehouse's
    ``unsupported`` kind) is passed through as read. A column with no observed value at all has
    no model to learn: it is left as it is (declared in ``columns``, it fails its training
    step, naming the column). The ``order_by``/``group_by`` keys are never imputed: a guessed
    time or entity would place its row in a sequence it was never in. Nor is the partition
    column: a guessed value would move its row to another partition. One line names what is
    left and why."""
    order, groups = sequence_keys(spec)
    keys = {order, *groups} - {None}
    part = spec.partition.column if spec.partition else None
    if spec.columns is not None:
        declared = [c for c in spec.columns if c in keys]
        if declared:
            raise ValueError(
                f"table {spec.table!r}: columns {declared} order or group the rows "
                "(order_by/group_by) and are never imputed; leave them out of columns"
            )
        if part in spec.columns:
            raise ValueError(
                f"table {spec.table!r}: columns names {part!r}, the partition column; its "
                "values place the rows in partitions and are never imputed (its NULL rows are "
                "a partition of their own); leave it out of columns"
            )
        return list(spec.columns)
    if missing is None:
        raise ValueError(f"table {spec.table!r}: no 'columns' given and nothing detected")
    targets = [
        c
        for c in missing.incomplete
        if c not in spec.skip
        and c not in missing.empty
        and c not in keys
        and c != part
        and c not in missing.unsupported
    ]
    left = left_reasons(spec, missing, targets)
    if left:
        _log.warning(
            f"table {spec.table!r}: gaps left unfilled in "
            + "; ".join(f"{c} ({reason})" for c, reason in left.items())
        )
    return targets


def left_reasons(spec: TableSpec, missing: MissingCounts, targets: list[str]) -> dict[str, str]:
    """Why each column with gaps that is not in ``targets`` is left as read."""
    order, groups = sequence_keys(spec)

    def reason(column: str) -> str:
        if column in missing.unsupported:
            return f"type {missing.unsupported[column]} is not imputed; passed through as read"
        if spec.partition and column == spec.partition.column:
            return "the partition column; its NULL rows are a partition of their own"
        if column in missing.empty:
            return "no observed value to learn from"
        if column in (order, *groups):
            return "a sequence key (order_by/group_by); keys are never imputed"
        if column in spec.exclude:
            return "excluded"
        return "skipped" if column in spec.skip else "not in columns"

    return {c: reason(c) for c in missing.incomplete if c not in targets}
