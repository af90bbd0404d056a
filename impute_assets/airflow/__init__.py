"""Airflow provider: the only part of impute_assets that imports airflow (extra ``airflow``).

``ImputeTableOperator`` trains or reuses, fills, validates and publishes one table or partition;
``TrainModelsOperator`` and ``FillTableOperator`` are the same steps as two tasks (training on a
GPU worker queue). The warehouse is an Airflow connection (``WarehouseHook``); tables are Airflow
assets, and ``on_new_data`` schedules a DAG on the source table's asset.
"""

from impute_assets.airflow.assets import imputed_asset, on_new_data, source_asset, table_asset
from impute_assets.airflow.hooks import WarehouseHook, connection_url
from impute_assets.airflow.operators import (
    GPU_QUEUE,
    FillTableOperator,
    ImputeTableOperator,
    TrainModelsOperator,
)

__all__ = [
    "GPU_QUEUE",
    "FillTableOperator",
    "ImputeTableOperator",
    "TrainModelsOperator",
    "WarehouseHook",
    "connection_url",
    "imputed_asset",
    "on_new_data",
    "source_asset",
    "table_asset",
]
