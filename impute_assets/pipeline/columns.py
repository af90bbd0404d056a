"""Which columns a table's run imputes (no orchestrator here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from impute_assets.pipeline.spec import TableSpec

if TYPE_CHECKING:
    from impute_assets.warehouse import Warehouse


def columns_to_impute(spec: TableSpec, warehouse: Warehouse) -> list[str]:
    """The spec's ``columns``, or else every column with nulls (counted in SQL, in the warehouse),
    less ``skip`` and ``exclude``."""
    if spec.columns is not None:
        return list(spec.columns)
    profile = warehouse.profile(spec.table, schema=spec.db_schema)
    left_out = set(spec.skip) | set(spec.exclude)
    return [str(c) for c, n in profile.missing.items() if n and str(c) not in left_out]
