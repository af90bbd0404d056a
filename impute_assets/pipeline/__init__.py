"""The work of one table's run, with no orchestrator imports.

Dagster (``impute_assets.dagster``), the CLI and Airflow are thin faces over these steps:
the table spec, the plan of each column's model, train-or-reuse, fill-and-publish and the
table's expectation suite. Each step returns plain records that a face turns into its events.
"""

from impute_assets.pipeline.spec import (
    PartitionSpec,
    SpecError,
    StructuralGap,
    TableSpec,
    ValidationSpec,
)

__all__ = ["PartitionSpec", "SpecError", "StructuralGap", "TableSpec", "ValidationSpec"]
