"""Dagster-side concurrency of runs and fills, and the defaults a small machine survives.

Each table's fill steps share the pool ``impute_fill/<table>`` (the table's Dagster name) and
training steps the pool ``gpu``. Runs the partition sensor requests carry
``impute_assets/fill: <schema.table>:<partition>`` (fills) or ``impute_assets/train: <table>``
(a table's first training), so a run-queue tag limit with ``applyLimitPerUniqueValue`` keeps
two runs from filling one partition at once while other partitions proceed.

Without instance settings ``dagster dev`` starts every requested run at once (a 15-partition
backfill: 15 processes). The demo ships ``dagster_project/dagster.yaml``, copied to its
``$DAGSTER_HOME``; copy it to yours, and raise the numbers on a larger machine::

    concurrency:
      runs:
        max_concurrent_runs: 2          # queued runs start 2 at a time
        tag_concurrency_limits:
          - {key: impute_assets/fill, value: {applyLimitPerUniqueValue: true}, limit: 1}
      pools:
        granularity: run                # runs wait in the queue for a free pool slot
        default_limit: 1                # one training run, one fill per table at a time

Whatever these settings (``dagster asset materialize`` and ``dg.materialize`` bypass the run
queue), two fills of one table partition never overlap: each holds the warehouse's fill lock
from reading the rows to publishing them (``Warehouse.fill_lock``).
"""

from __future__ import annotations

from impute_assets.dagster.translator import dagster_name
from impute_assets.pipeline.spec import TableSpec

#: Prefix of the per-table pool of fill steps.
FILL_POOL_PREFIX = "impute_fill/"
#: Run tag naming the table partition a run fills.
FILL_RUN_TAG = "impute_assets/fill"
#: Run tag naming the table whose models a partition sensor's run trains.
TRAIN_RUN_TAG = "impute_assets/train"


def fill_pool(spec: TableSpec) -> str:
    """The concurrency pool of a table's fill steps (the table's Dagster name: pool names take
    no spaces)."""
    return f"{FILL_POOL_PREFIX}{dagster_name(spec.store_name)}"


def fill_run_tags(spec: TableSpec, partition_key: str | None) -> dict[str, str]:
    """Run tags of a run filling ``partition_key`` of the table (or the whole table)."""
    where = f":{partition_key}" if partition_key is not None else ""
    return {FILL_RUN_TAG: f"{spec.store_name}{where}"}
