"""Dagster integration: the only part of impute_assets that imports dagster.

Build definitions from Python ``TableSpec``s with :func:`build_imputation_defs`, from an
``impute.yaml`` with :func:`load_imputation_yaml`, or from a component ``defs.yaml`` with
:class:`ImputeTablesComponent`. torch and great_expectations are imported only inside runs.
"""

from impute_assets.dagster.assets import build_imputation_specs
from impute_assets.dagster.component import (
    ImputeTable,
    ImputeTablesComponent,
    load_imputation_yaml,
)
from impute_assets.dagster.factory import build_imputation_defs
from impute_assets.dagster.metadata_set import ImputationMetadata
from impute_assets.dagster.resources import ModelStoreResource, TorchResource, WarehouseResource
from impute_assets.dagster.translator import ImputationAssetData, ImputationTranslator
from impute_assets.pipeline.spec import (
    PartitionSpec,
    SpecError,
    StructuralGap,
    TableSpec,
    ValidationSpec,
)

__all__ = [
    "ImputationAssetData",
    "ImputationMetadata",
    "ImputationTranslator",
    "ImputeTable",
    "ImputeTablesComponent",
    "ModelStoreResource",
    "PartitionSpec",
    "SpecError",
    "StructuralGap",
    "TableSpec",
    "TorchResource",
    "ValidationSpec",
    "WarehouseResource",
    "build_imputation_defs",
    "build_imputation_specs",
    "load_imputation_yaml",
]
