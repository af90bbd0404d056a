"""Naming policy: which asset key, group, tags and kinds each imputation asset gets.

Subclass :class:`ImputationTranslator` and override ``get_asset_spec`` to rename keys or add
tags; the factory asks the translator for every spec and hard-codes no names itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import dagster as dg

from impute_assets.pipeline.spec import TableSpec

Role = Literal["source", "missing_values", "model", "imputed"]


@dataclass(frozen=True)
class ImputationAssetData:
    """What the translator is asked about: a table's source, its missing-values count, one
    column's model, or its output."""

    role: Role
    spec: TableSpec
    column: str | None = None


class ImputationTranslator:
    """Default keys: ``<table>``, ``<table>/missing_values``, ``<table>/models/<column>``,
    ``<output table>``.

    Example:
        >>> class Prefixed(ImputationTranslator):
        ...     def get_asset_spec(self, data):
        ...         spec = super().get_asset_spec(data)
        ...         return spec.replace_attributes(key=spec.key.with_prefix("warehouse"))
    """

    def get_asset_spec(self, data: ImputationAssetData) -> dg.AssetSpec:
        """The AssetSpec for ``data`` (deps and partitions are added by the factory)."""
        spec = data.spec
        prefix = [spec.db_schema] if spec.db_schema else []
        if data.role == "source":
            return dg.AssetSpec(
                key=dg.AssetKey([*prefix, spec.table]),
                description=f"Source table {spec.table}, as found in the warehouse.",
                group_name=spec.group_name,
                kinds={"table"},
            )
        if data.role == "missing_values":
            return dg.AssetSpec(
                key=dg.AssetKey([*prefix, spec.table, "missing_values"]),
                description=f"Missing values of {spec.table} per column (and per partition), "
                "counted in the warehouse.",
                group_name=spec.group_name,
                kinds={"sql"},
            )
        if data.role == "model":
            return dg.AssetSpec(
                key=dg.AssetKey([*prefix, spec.table, "models", str(data.column)]),
                description=f"Imputation model for {spec.table}.{data.column}: trained or reused.",
                group_name=spec.group_name,
                kinds={"pytorch"},
                tags={"impute_assets/column": _tag_safe(str(data.column))},
            )
        return dg.AssetSpec(
            key=dg.AssetKey([*prefix, spec.output_name]),
            description=f"{spec.table} with its missing values filled, validated and audited.",
            group_name=spec.group_name,
            kinds={"table"},
        )


def _tag_safe(value: str) -> str:
    """Dagster tag values allow letters, digits, ``-``, ``_`` and ``.`` (63 chars)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in value)[:63]
