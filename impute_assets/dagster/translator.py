"""Naming policy: which asset key, group, tags and kinds each imputation asset gets.

Subclass :class:`ImputationTranslator` and override ``get_asset_spec`` to rename keys or add
tags; the factory asks the translator for every spec and hard-codes no names itself.

Warehouse names may hold anything (``Culmen Length (mm)``, ``% change``, ``Délta``, quotes, 200
characters); Dagster names may not. :func:`dagster_name` is the one place a warehouse name
becomes a Dagster name (asset key part, op name, tag value, group, sensor or resource key): a
name Dagster accepts as it is stays as it is; any other becomes a readable ASCII slug plus a
short hash of the real name, so two names never share a key (``a b``, ``a_b`` and ``A-B`` get
three). The real names stay in each asset's metadata (``ImputationMetadata.table`` and
``.column``) and in the column lineage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import dagster as dg

from impute_assets.core.names import SLUG_LENGTH, dagster_slug
from impute_assets.dagster.metadata_set import ImputationMetadata
from impute_assets.pipeline.spec import TableSpec

Role = Literal["source", "missing_values", "model", "imputed"]

#: Tag naming the column a model asset fills (its Dagster name).
COLUMN_TAG = "impute_assets/column"
_VALID = re.compile(r"[A-Za-z0-9_]+")


def dagster_name(name: str) -> str:
    """``name`` as a Dagster name (``^[A-Za-z0-9_]+$``, at most 63 characters, no reserved
    word): unchanged when Dagster accepts it, else an ASCII slug and a hash of ``name``
    (:func:`impute_assets.core.names.dagster_slug`).

    Example:
        >>> dagster_name("temp"), dagster_name("Culmen Length (mm)")
        ('temp', 'Culmen_Length_mm_baf2eecc')
    """
    from dagster._core.definitions.utils import is_valid_name

    if len(name) <= SLUG_LENGTH and _VALID.fullmatch(name) and is_valid_name(name):
        return name
    return dagster_slug(name)


@dataclass(frozen=True)
class ImputationAssetData:
    """What the translator is asked about: a table's source, its missing-values count, one
    column's model, or its output."""

    role: Role
    spec: TableSpec
    column: str | None = None


class ImputationTranslator:
    """Default keys: ``<table>``, ``<table>/missing_values``, ``<table>/models/<column>``,
    ``<output table>`` (each part through :func:`dagster_name`, and under the schema if any).

    Example:
        >>> class Prefixed(ImputationTranslator):
        ...     def get_asset_spec(self, data):
        ...         spec = super().get_asset_spec(data)
        ...         return spec.replace_attributes(key=spec.key.with_prefix("warehouse"))
    """

    def get_asset_spec(self, data: ImputationAssetData) -> dg.AssetSpec:
        """The AssetSpec for ``data`` (deps and partitions are added by the factory)."""
        spec = data.spec
        prefix = [dagster_name(spec.db_schema)] if spec.db_schema else []
        table = dagster_name(spec.table)
        names = ImputationMetadata(table=spec.store_name)
        common = {"group_name": spec.group or table, "metadata": names.to_metadata()}
        if data.role == "source":
            return dg.AssetSpec(
                key=dg.AssetKey([*prefix, table]),
                description=f"Source table {spec.table}, as found in the warehouse.",
                kinds={"table"},
                **common,
            )
        if data.role == "missing_values":
            return dg.AssetSpec(
                key=dg.AssetKey([*prefix, table, "missing_values"]),
                description=f"Missing values of {spec.table} per column (and per partition), "
                "counted in the warehouse.",
                kinds={"sql"},
                **common,
            )
        if data.role == "model":
            column = dagster_name(str(data.column))
            return dg.AssetSpec(
                key=dg.AssetKey([*prefix, table, "models", column]),
                description=f"Imputation model for {spec.table}.{data.column}: trained or reused.",
                kinds={"pytorch"},
                tags={COLUMN_TAG: column},
                **{
                    **common,
                    "metadata": names.model_copy(update={"column": data.column}).to_metadata(),
                },
            )
        return dg.AssetSpec(
            key=dg.AssetKey([*prefix, dagster_name(spec.output_name)]),
            description=f"{spec.table} with its missing values filled, validated and audited.",
            kinds={"table"},
            **common,
        )
