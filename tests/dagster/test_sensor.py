"""The partition sensor adds a new partition and its run fills only that partition; a partition
that gains rows is requested again."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from impute_assets.dagster import build_imputation_defs
from impute_assets.dagster.sensor import PARTITION_SENSOR
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import decisions, materialize, sensor_of
from tests.factories import URL_ENV, sample_frame, table_spec


def test_sensor_adds_partition_and_fills_only_it(warehouse_url, unique_name, tmp_path):
    warehouse = Warehouse(warehouse_url)
    warehouse.publish(sample_frame(months=(1, 2)), unique_name)
    spec = table_spec(unique_name, partition={"column": "month", "kind": "dynamic"}, exclude=[])
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
    # A persistent (temporary) instance with a ref: the tick resolves new dynamic partitions.
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance = dg.DagsterInstance.local_temp(str(home))
    sensor = sensor_of(defs, PARTITION_SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING

    def tick(cursor: str | None) -> dg.SensorResult:
        with dg.build_sensor_context(
            instance=instance,
            instance_ref=instance.get_ref(),
            cursor=cursor,
            resources=defs.resources,
            definitions=defs,
        ) as context:
            result = sensor.evaluate_tick(context)
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
        return result

    # No model yet: one run training them, no fill (it would fail); the partitions wait.
    untrained = tick(None)
    (training,) = untrained.run_requests
    assert training.partition_key is None
    assert set(training.asset_selection) == {dg.AssetKey([unique_name, "models", c]) for c in "yzw"}
    assert "1" in instance.get_dynamic_partitions(f"{unique_name}__partitions")
    assert tick(untrained.cursor).run_requests[0].run_key == training.run_key  # launched once
    materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    first = tick(untrained.cursor)
    assert sorted(r.partition_key for r in first.run_requests) == ["1", "2"]
    for request in first.run_requests:
        materialize(
            defs,
            f"key:{unique_name}_imputed",
            partition_key=request.partition_key,
            instance=instance,
        )
    before = warehouse.read(f"{unique_name}_imputed")

    new_rows = sample_frame(rows=60, seed=3, months=(3,))
    warehouse.publish(new_rows, unique_name, partition=("month", "3"))
    second = tick(first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["3"]
    assert "3" in instance.get_dynamic_partitions(f"{unique_name}__partitions")
    run = materialize(defs, f"key:{unique_name}_imputed", partition_key="3", instance=instance)
    assert run.success and decisions(run) == {}
    after = warehouse.read(f"{unique_name}_imputed")
    assert len(after) == len(before) + len(new_rows)
    old = after[after["month"] != 3].sort_values("id").reset_index(drop=True)
    assert old.equals(before.sort_values("id").reset_index(drop=True))
    filled_month = after[after["month"] == 3]
    assert (
        filled_month[["y", "z", "w"]].notna().to_numpy().sum()
        > new_rows[["y", "z", "w"]].notna().to_numpy().sum()
    )
    quiet = tick(second.cursor)
    assert quiet.run_requests == []

    # Rows appended to month 2, already filled: the sensor asks for month 2 again.
    month_2 = warehouse.read(unique_name, partition=("month", "2"))
    more = sample_frame(rows=30, seed=4, months=(2,))
    warehouse.publish(pd.concat([month_2, more]), unique_name, partition=("month", "2"))
    grown = tick(quiet.cursor)
    assert [r.partition_key for r in grown.run_requests] == ["2"]
    assert grown.run_requests[0].run_key != first.run_requests[1].run_key
    materialize(defs, f"key:{unique_name}_imputed", partition_key="2", instance=instance)
    refilled = warehouse.read(f"{unique_name}_imputed", partition=("month", "2"))
    assert set(refilled["id"]) == set(month_2["id"]) | set(more["id"])
    idle = tick(grown.cursor)
    assert idle.run_requests == []

    # Every row of month 3 deleted: the sensor asks for month 3, whose fill deletes its rows.
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text(f"DELETE FROM {unique_name} WHERE month = 3"))
    deleted = tick(idle.cursor)
    assert [(r.partition_key, r.run_key.split(":")[-1]) for r in deleted.run_requests] == [
        ("3", "0")
    ]
    materialize(defs, f"key:{unique_name}_imputed", partition_key="3", instance=instance)
    assert 3 not in set(warehouse.read(f"{unique_name}_imputed")["month"])
    assert "3" not in set(warehouse.read(f"{unique_name}_imputed_audit")["partition"])
    assert tick(deleted.cursor).run_requests == []


def test_sensor_without_cursor_skips_partitions_already_filled(
    warehouse_url, unique_name, tmp_path
):
    """The first ``make ui`` after ``make demo``: the sensor has no cursor yet, but runs have
    filled every partition; only a partition whose rows changed since is requested."""
    warehouse = Warehouse(warehouse_url)
    warehouse.publish(sample_frame(rows=120, months=(1, 2)), unique_name)
    spec = table_spec(unique_name, partition={"column": "month", "kind": "dynamic"}, exclude=[])
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance = dg.DagsterInstance.local_temp(str(home))
    instance.add_dynamic_partitions(f"{unique_name}__partitions", ["1", "2"])
    materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    for key in ("1", "2"):
        materialize(defs, f"key:{unique_name}_imputed", partition_key=key, instance=instance)
    sensor = sensor_of(defs, PARTITION_SENSOR)

    def first_tick() -> dg.SensorResult:
        with dg.build_sensor_context(instance=instance, instance_ref=instance.get_ref(),
                                     cursor=None, resources=defs.resources,
                                     definitions=defs) as context:  # fmt: skip
            return sensor.evaluate_tick(context)

    assert first_tick().run_requests == []
    month_2 = warehouse.read(unique_name, partition=("month", "2"))
    more = sample_frame(rows=20, seed=5, months=(2,))
    warehouse.publish(pd.concat([month_2, more]), unique_name, partition=("month", "2"))
    assert [r.partition_key for r in first_tick().run_requests] == ["2"]


def test_a_table_not_discovered_yet_waits_saying_why(warehouse_url, unique_name, tmp_path):
    Warehouse(warehouse_url).publish(sample_frame(rows=60, months=(1,)), unique_name)
    spec = table_spec(unique_name, partition={"column": "month", "kind": "dynamic"}, exclude=[])
    spec.pop("columns")
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
    instance = dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(instance=instance, resources=defs.resources,
                                 definitions=defs) as context:  # fmt: skip
        result = sensor_of(defs, PARTITION_SENSOR).evaluate_tick(context)
    assert result.run_requests == []
    assert f"table '{unique_name}': 1 partition(s) to fill wait" in result.skip_message
    assert "have not been discovered yet" in result.skip_message


def test_collation_twins_are_named_in_the_skip_message(
    mysql_url, monkeypatch, unique_name, tmp_path
):
    """MariaDB's default collation merges ``Key``/``key``: the table is refused by name."""
    monkeypatch.setenv(URL_ENV, mysql_url)
    warehouse = Warehouse(mysql_url)
    frame = sample_frame(rows=40).assign(part=["Key", "key"] * 20)
    warehouse.publish(frame, unique_name)
    try:
        spec = table_spec(unique_name, partition={"column": "part", "kind": "dynamic"})
        defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
        with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(),
                                     resources=defs.resources, definitions=defs) as context:  # fmt: skip
            result = sensor_of(defs, PARTITION_SENSOR).evaluate_tick(context)
        assert result.run_requests == [] and not result.dynamic_partitions_requests
        assert f"table '{unique_name}': partitions not counted" in result.skip_message
        assert "compares distinct values equal ('Key' = 'key')" in result.skip_message
    finally:
        with warehouse.engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {unique_name}"))
