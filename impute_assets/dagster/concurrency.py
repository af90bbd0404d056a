"""Dagster-side concurrency of fills: a pool per table, and a run tag per table partition.

Each table's fill steps share the pool ``impute_fill/<schema.table>``: without a limit they run
side by side (each publish replaces only its own partition); ``dagster instance concurrency set
impute_fill/<table> 1`` makes a table's fills take turns. Runs the partition sensor requests
carry ``impute_assets/fill: <schema.table>:<partition>``, so a run-queue tag limit with
``applyLimitPerUniqueValue`` keeps two runs from filling the same partition at once while
other partitions proceed. The warehouse's own lock on each publish is the last line.
"""

from __future__ import annotations

from impute_assets.dagster.translator import dagster_name
from impute_assets.pipeline.spec import TableSpec

#: Prefix of the per-table pool of fill steps.
FILL_POOL_PREFIX = "impute_fill/"
#: Run tag naming the table partition a run fills.
FILL_RUN_TAG = "impute_assets/fill"


def fill_pool(spec: TableSpec) -> str:
    """The concurrency pool of a table's fill steps (the table's Dagster name: pool names take
    no spaces)."""
    return f"{FILL_POOL_PREFIX}{dagster_name(spec.store_name)}"


def fill_run_tags(spec: TableSpec, partition_key: str | None) -> dict[str, str]:
    """Run tags of a run filling ``partition_key`` of the table (or the whole table)."""
    where = f":{partition_key}" if partition_key is not None else ""
    return {FILL_RUN_TAG: f"{spec.store_name}{where}"}
