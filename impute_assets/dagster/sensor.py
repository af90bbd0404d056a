"""The partition sensor: finds new or grown partitions in source tables and fills just those.

One cheap SQL query per table (``count(*)`` grouped by the partition column, through the
warehouse layer) gives every partition's row count. A partition is requested when it is new,
or when its row count changed since the last tick (rows appended to a partition already
filled). For dynamic partitions the new values are added to the partition set; for time
windows only windows of the partitions definition are requested. The cursor keeps, per
imputed table, the row count of every partition key seen.
"""

import json
from collections.abc import Mapping, Sequence

import dagster as dg
from dagster import SensorEvaluationContext

from impute_assets.dagster.assets import TableAssets, warehouse_key
from impute_assets.dagster.checks import EXPECTATIONS_CHECK
from impute_assets.dagster.concurrency import fill_run_tags
from impute_assets.dagster.partitions import dynamic_partitions_name
from impute_assets.pipeline.partitions import key_for_value

#: Sensors evaluate at most this often (seconds).
MINIMUM_INTERVAL = 60
#: Sensor names start with these; ``build_imputation_defs`` adds a suffix per call.
PARTITION_SENSOR = "impute_new_partitions"
AUTOMATION_SENSOR = "impute_automation"


def partition_sensor(tables: Sequence[TableAssets], name: str) -> dg.SensorDefinition:
    """One sensor for every partitioned table; running by default."""
    partitioned = [t for t in tables if t.spec.partition is not None]

    @dg.sensor(
        name=name,
        minimum_interval_seconds=MINIMUM_INTERVAL,
        default_status=dg.DefaultSensorStatus.RUNNING,
        required_resource_keys={warehouse_key(t.spec) for t in partitioned},
        target=[t.imputed for t in partitioned],
        description="Fills new partitions of source tables, and partitions that gained rows.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult:
        cursor: dict[str, dict[str, int]] = json.loads(context.cursor) if context.cursor else {}
        runs: list[dg.RunRequest] = []
        additions: list[dg.AddDynamicPartitionsRequest] = []
        for table in partitioned:
            spec = table.spec
            cursor_key = "/".join(table.imputed_key.path)
            try:
                counts = partition_row_counts(table, context.resources)
            except Exception as exc:  # noqa: BLE001  one broken table must not stop the others
                context.log.warning(f"table {spec.table!r}: partitions not counted: {exc}")
                continue
            seen = cursor.get(cursor_key)
            if seen is None:
                seen = filled_row_counts(context.instance, table.imputed_key, list(counts))
            changed = _changed(counts, seen)
            if spec.partition.kind == "dynamic":  # type: ignore[union-attr]
                known = set(context.instance.get_dynamic_partitions(dynamic_partitions_name(spec)))
                fresh = [k for k in counts if k not in known]
                if fresh:
                    additions.append(
                        dg.AddDynamicPartitionsRequest(dynamic_partitions_name(spec), fresh)
                    )
            else:
                valid = set(table.imputed.partitions_def.get_partition_keys())  # type: ignore[union-attr]
                changed = [k for k in changed if k in valid]
            runs += [
                dg.RunRequest(
                    run_key=f"{cursor_key}:{key}:{counts[key]}",
                    partition_key=key,
                    asset_selection=[table.imputed_key],
                    asset_check_keys=[dg.AssetCheckKey(table.imputed_key, EXPECTATIONS_CHECK)],
                    tags=fill_run_tags(spec, key),
                )
                for key in changed
            ]
            cursor[cursor_key] = counts
        return dg.SensorResult(
            run_requests=runs,
            dynamic_partitions_requests=additions,
            cursor=json.dumps(cursor, sort_keys=True),
            skip_reason=None if runs or additions else "no new partitions or rows",
        )

    return _sensor


def partition_row_counts(table: TableAssets, resources: object) -> dict[str, int]:
    """Rows per partition key of a table's source, counted in the warehouse in one query."""
    spec, part = table.spec, table.spec.partition
    assert part is not None
    warehouse = getattr(resources, warehouse_key(spec)).get_warehouse()
    profile = warehouse.profile(
        spec.table, schema=spec.db_schema, partition_column=part.column, columns=[]
    )
    counts: dict[str, int] = {}
    for value, rows in profile.partitions.items():
        if value is not None:
            key = key_for_value(part, value)
            counts[key] = counts.get(key, 0) + rows.rows
    return dict(sorted(counts.items()))


def filled_row_counts(
    instance: dg.DagsterInstance, key: dg.AssetKey, partitions: list[str]
) -> dict[str, int]:
    """The row count each partition of an imputed table was last published with (from its
    materializations): a sensor without a cursor yet (the first ``dagster dev`` after the demo)
    must not refill partitions a run already filled."""
    found: dict[str, int] = {}
    cursor = None
    while partitions:
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=partitions),
            limit=100,
            cursor=cursor,
        )
        for record in page.records:  # newest first
            materialization = record.asset_materialization
            rows = materialization.metadata.get("dagster/row_count") if materialization else None
            if rows is not None and record.partition_key not in found:
                found[str(record.partition_key)] = int(rows.value)
        if not page.has_more or len(found) == len(partitions):
            break
        cursor = page.cursor
    return found


def _changed(counts: Mapping[str, int], seen: Mapping[str, int]) -> list[str]:
    """Keys that are new or whose row count differs from the cursor's."""
    return [k for k, rows in counts.items() if seen.get(k) != rows]


def automation_sensor(
    tables: Sequence[TableAssets], name: str
) -> dg.AutomationConditionSensorDefinition:
    """Evaluates the imputed tables' ``AutomationCondition`` (refill when a model changes).

    Running by default: Dagster's own ``default_automation_condition_sensor`` starts stopped.
    """
    return dg.AutomationConditionSensorDefinition(
        name,
        target=dg.AssetSelection.assets(*(t.imputed_key for t in tables)),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=MINIMUM_INTERVAL,
        description="Refills imputed tables when their models are retrained.",
    )
