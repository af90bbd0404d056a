"""Detect: count a table's missing cells in the warehouse (one SQL query, nothing read)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from impute_assets.pipeline.plan import sequence_keys
from impute_assets.pipeline.records import MissingCounts
from impute_assets.pipeline.spec import TableSpec

if TYPE_CHECKING:
    from impute_assets.warehouse import Warehouse

_log = logging.getLogger(__name__)


def detect(spec: TableSpec, warehouse: Warehouse, per_partition: bool = False) -> MissingCounts:
    """Rows and missing cells (NULL, and NaN in floats) per column not excluded by the spec;
    with ``per_partition``, also each partition's share of missing cells per column."""
    column = spec.partition.column if per_partition and spec.partition else None
    profile = warehouse.profile(spec.table, schema=spec.db_schema, partition_column=column)
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
    )


def columns_to_impute(spec: TableSpec, missing: MissingCounts | None = None) -> list[str]:
    """The spec's ``columns``, or else every incomplete column not skipped (needs ``missing``).

    A column with no observed value at all has no model to learn: it is left as it is, with a
    warning (declared in ``columns``, it fails its training step, naming the column). The
    ``order_by``/``group_by`` keys are never imputed: a guessed time or entity would place its
    row in a sequence it was never in."""
    order, groups = sequence_keys(spec)
    keys = {order, *groups} - {None}
    if spec.columns is not None:
        declared = [c for c in spec.columns if c in keys]
        if declared:
            raise ValueError(f"table {spec.table!r}: columns {declared} order or group the rows "
                             "(order_by/group_by) and are never imputed; leave them out of columns")
        return list(spec.columns)
    if missing is None:
        raise ValueError(f"table {spec.table!r}: no 'columns' given and nothing detected")
    if missing.empty:
        _log.warning(f"table {spec.table!r}: columns {missing.empty} have no observed value "
                     "in any row; nothing to learn them from, so they are left unfilled")
    gaps = sorted(keys & set(missing.incomplete))
    if gaps:
        _log.warning(f"table {spec.table!r}: sequence keys {gaps} have missing values; keys "
                     "are never imputed, so those cells stay missing")
    return [c for c in missing.incomplete
            if c not in spec.skip and c not in missing.empty and c not in keys]
