"""The partition sensor: finds new partitions in source tables and fills just those.

For dynamic partitions it adds the new values to the partition set; for time windows it
requests the windows that have rows. The cursor remembers the partition keys already seen.
"""

import json
from collections.abc import Sequence

import dagster as dg
from dagster import SensorEvaluationContext

from impute_assets.dagster.assets import TableAssets, warehouse_key
from impute_assets.dagster.checks import EXPECTATIONS_CHECK
from impute_assets.dagster.partitions import dynamic_partitions_name, key_for_value

#: Sensors evaluate at most this often (seconds).
MINIMUM_INTERVAL = 60


def partition_sensor(
    tables: Sequence[TableAssets], name: str = "impute_new_partitions"
) -> dg.SensorDefinition:
    """One sensor for every partitioned table; running by default."""
    partitioned = [t for t in tables if t.spec.partition is not None]

    @dg.sensor(
        name=name,
        minimum_interval_seconds=MINIMUM_INTERVAL,
        default_status=dg.DefaultSensorStatus.RUNNING,
        required_resource_keys={warehouse_key(t.spec) for t in partitioned},
        target=[t.imputed for t in partitioned],
        description="Fills new partitions of source tables as they appear.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult:
        seen: dict[str, list[str]] = json.loads(context.cursor) if context.cursor else {}
        runs: list[dg.RunRequest] = []
        additions: list[dg.AddDynamicPartitionsRequest] = []
        for table in partitioned:
            spec, part = table.spec, table.spec.partition
            assert part is not None
            warehouse = getattr(context.resources, warehouse_key(spec)).get_warehouse()
            values = warehouse.partitions(spec.table, part.column, schema=spec.db_schema)
            keys = sorted({key_for_value(part, v) for v in values if v is not None})
            cursor_key = "/".join(table.imputed_key.path)
            new = [k for k in keys if k not in set(seen.get(cursor_key, []))]
            if part.kind == "dynamic":
                known = set(context.instance.get_dynamic_partitions(dynamic_partitions_name(spec)))
                fresh = [k for k in keys if k not in known]
                if fresh:
                    additions.append(
                        dg.AddDynamicPartitionsRequest(dynamic_partitions_name(spec), fresh)
                    )
            else:
                valid = set(table.imputed.partitions_def.get_partition_keys())  # type: ignore[union-attr]
                new = [k for k in new if k in valid]
            for key in new:
                runs.append(
                    dg.RunRequest(
                        run_key=f"{cursor_key}:{key}",
                        partition_key=key,
                        asset_selection=[table.imputed_key],
                        asset_check_keys=[dg.AssetCheckKey(table.imputed_key, EXPECTATIONS_CHECK)],
                    )
                )
            seen[cursor_key] = keys
        return dg.SensorResult(
            run_requests=runs,
            dynamic_partitions_requests=additions,
            cursor=json.dumps(seen, sort_keys=True),
            skip_reason=None if runs or additions else "no new partitions",
        )

    return _sensor
