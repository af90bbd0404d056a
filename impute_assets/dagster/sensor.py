"""The partition sensor: finds new or grown partitions in source tables and fills just those.

One cheap SQL query per table (``count(*)`` grouped by the partition column, through the
warehouse layer) gives every partition's row count. A partition is requested when it is new,
or when its row count changed since the last tick (rows appended to a partition already
filled, or all its rows deleted: its fill then deletes its output and audit rows). For dynamic partitions the new values are added to the partition set; for time
windows only windows of the partitions definition are requested. The cursor keeps, per
imputed table, the row count of every partition key seen.

A table whose models do not exist yet gets no fill: the sensor requests one run training its
missing models (once: the run key names them) and keeps the table's partitions for a later
tick, when the models exist, so a first start trains once, then fills. A table whose columns
could not be discovered is skipped, saying why. The skip reason (or the tick's log) names each
table waiting and why, and each whose partitions could not be counted (e.g. a collation that
merges distinct partition values).
"""

import json
from collections.abc import Mapping, Sequence

import dagster as dg
from dagster import SensorEvaluationContext

from impute_assets.dagster.assets import MODEL_STORE_KEY, TableAssets, warehouse_key
from impute_assets.dagster.checks import DISTRIBUTION_CHECK, EXPECTATIONS_CHECK
from impute_assets.dagster.concurrency import TRAIN_RUN_TAG, fill_run_tags
from impute_assets.dagster.partitions import dynamic_partitions_name
from impute_assets.dagster.translator import dagster_name
from impute_assets.pipeline.partitions import partition_row_counts as source_row_counts
from impute_assets.pipeline.partitions import uncovered_line, uncovered_rows

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
        required_resource_keys={MODEL_STORE_KEY, *(warehouse_key(t.spec) for t in partitioned)},
        target=[a for t in partitioned for a in (t.imputed, t.models) if a is not None],
        description="Fills new partitions of source tables, and partitions that gained rows; "
        "trains a table's missing models first.",
    )
    def _sensor(context: SensorEvaluationContext) -> dg.SensorResult:
        cursor: dict[str, dict[str, int]] = json.loads(context.cursor) if context.cursor else {}
        runs: list[dg.RunRequest] = []
        additions: list[dg.AddDynamicPartitionsRequest] = []
        waiting: list[str] = []
        uncovered: list[str] = []
        refused: list[str] = []
        for table in partitioned:
            spec = table.spec
            cursor_key = "/".join(table.imputed_key.path)
            try:
                counts = partition_row_counts(table, context.resources)
                untrained = columns_without_models(table, context.resources)
            except Exception as exc:  # noqa: BLE001  one broken table must not stop the others
                refused.append(f"table {spec.table!r}: partitions not counted: {exc}")
                context.log.warning(refused[-1])
                continue
            seen = cursor.get(cursor_key)
            if seen is None:
                seen = filled_row_counts(context.instance, table.imputed_key, list(counts))
            counts = {**{k: 0 for k in seen if k not in counts}, **counts}  # deleted ones
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
                outside = uncovered_rows(spec.partition, counts, valid)  # type: ignore[arg-type]
                if outside:
                    uncovered.append(uncovered_line(spec, outside))
                    if any(k in outside for k in changed):
                        context.log.warning(uncovered[-1])
                changed = [k for k in changed if k in valid]
            if changed and (table.broken or untrained):
                waiting.append(_waiting(table, untrained, len(changed)))
                if untrained and not table.broken:
                    runs.append(training_request(table, untrained))
                continue  # the cursor keeps the old counts: these partitions come back
            runs += [
                dg.RunRequest(
                    run_key=f"{cursor_key}:{key}:{counts[key]}",
                    partition_key=key,
                    asset_selection=[table.imputed_key],
                    # both checks: a partition the sensor fills is checked like any other
                    asset_check_keys=[
                        dg.AssetCheckKey(table.imputed_key, name)
                        for name in (EXPECTATIONS_CHECK, DISTRIBUTION_CHECK)
                    ],
                    tags=fill_run_tags(spec, key),
                )
                for key in changed
            ]
            cursor[cursor_key] = counts
        for line in waiting:
            context.log.info(line)
        return dg.SensorResult(
            run_requests=runs,
            dynamic_partitions_requests=additions,
            cursor=json.dumps(cursor, sort_keys=True),
            skip_reason=None
            if runs
            else "; ".join(waiting + refused + uncovered)
            or (None if additions else "no new partitions or rows"),
        )

    return _sensor


def columns_without_models(table: TableAssets, resources: object) -> list[str]:
    """The table's columns with no stored model yet (their fills would fail)."""
    from impute_assets.pipeline.model_fit import columns_with_models

    store = getattr(resources, MODEL_STORE_KEY).get_store()
    stored = columns_with_models(table.spec, store, table.columns)
    return [c for c in table.columns if c not in stored]


def training_request(table: TableAssets, columns: Sequence[str]) -> dg.RunRequest:
    """One run training ``columns``' models; its run key names them, so it is launched once."""
    keys = [table.model_keys[c] for c in columns]
    return dg.RunRequest(
        run_key=f"{'/'.join(table.imputed_key.path)}:models:"
        + ",".join(sorted(k.to_user_string() for k in keys)),
        asset_selection=keys,
        tags={TRAIN_RUN_TAG: dagster_name(table.spec.store_name)},
    )


def _waiting(table: TableAssets, untrained: Sequence[str], partitions: int) -> str:
    """Why a table's new partitions are not filled on this tick."""
    what = f"table {table.spec.store_name!r}: {partitions} partition(s) to fill wait"
    if table.broken:
        return f"{what}: {table.broken}"
    return (
        f"{what} for the models of {', '.join(untrained)} (none stored yet): their "
        "training run is requested first; the partitions are filled once they exist"
    )


def partition_row_counts(table: TableAssets, resources: object) -> dict[str, int]:
    """Rows per partition key of a table's source, counted in the warehouse in one query (NULL
    and empty values of dynamic partitions under their own keys, never the key ``''``)."""
    warehouse = getattr(resources, warehouse_key(table.spec)).get_warehouse()
    return source_row_counts(table.spec, warehouse)


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
