"""The work of one table's run, with no orchestrator imports.

Dagster (``impute_assets.dagster``), the CLI and Airflow are thin faces over these steps, each
in the module named after it: the table ``spec``, ``detect`` (missing cells, in SQL), the
``plan`` of each column's model, ``training`` (train-or-reuse), ``filling``
(fill-and-publish), the table's ``suite``, and ``run`` (:class:`TableRun`, all of them in
order). Each step returns a frozen record from ``records``; ``summary`` renders records as the
rows every face shows.
"""

from impute_assets.pipeline.records import (
    ColumnFill,
    FillRecord,
    MissingCounts,
    ModelRecord,
    TableRunRecord,
    TrainRecord,
)
from impute_assets.pipeline.run import TableRun
from impute_assets.pipeline.spec import (
    PartitionSpec,
    SpecError,
    StructuralGap,
    TableSpec,
    ValidationSpec,
)

__all__ = [
    "ColumnFill",
    "FillRecord",
    "MissingCounts",
    "ModelRecord",
    "PartitionSpec",
    "SpecError",
    "StructuralGap",
    "TableRun",
    "TableRunRecord",
    "TableSpec",
    "TrainRecord",
    "ValidationSpec",
]
