"""The automation condition sensor: declared, running by default, and its condition acts."""

from __future__ import annotations

import dagster as dg

from impute_assets.dagster import build_imputation_defs
from impute_assets.dagster.sensor import AUTOMATION_SENSOR
from impute_assets.pipeline import TableSpec
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import decisions, force_retrain, materialize, reported, sensor_of
from tests.factories import sample_frame, table_spec


def test_definitions_declare_a_running_automation_sensor():
    defs = build_imputation_defs(
        [
            {"table": "a", "columns": ["x"]},
            {"table": "b", "columns": ["x"], "partition": {"column": "m", "kind": "dynamic"}},
        ]
    )
    sensor = sensor_of(defs, AUTOMATION_SENSOR)
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    graph = defs.resolve_asset_graph()
    targeted = sensor.asset_selection.resolve(graph)
    assert targeted == {dg.AssetKey("a_imputed"), dg.AssetKey("b_imputed")}
    assert all(graph.get(k).automation_condition is not None for k in targeted)
    dg.Definitions.validate_loadable(defs)


def test_only_a_new_model_version_makes_the_condition_request_a_refill(
    warehouse_url, unique_name, tmp_path
):
    Warehouse(warehouse_url).publish(sample_frame(rows=120), unique_name)
    defs = build_imputation_defs([table_spec(unique_name)], model_store=str(tmp_path / "models"))
    instance = dg.DagsterInstance.ephemeral()
    materialize(defs, instance=instance)
    settled = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    imputed = dg.AssetKey(f"{unique_name}_imputed")
    assert settled.get_num_requested(imputed) == 0

    # Materializing the models again reuses them, unchanged: nothing to refill.
    reused = materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    assert set(decisions(reused).values()) == {"reuse"}
    same = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=settled.cursor)
    assert same.get_num_requested(imputed) == 0

    retrained = materialize(
        defs,
        f"key:{unique_name}/models/*",
        instance=instance,
        run_config=force_retrain(unique_name),
    )
    assert set(decisions(retrained).values()) == {"train"}
    again = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=same.cursor)
    assert again.get_num_requested(imputed) == 1


def test_a_partition_never_filled_is_left_to_the_partition_sensor(
    warehouse_url, unique_name, tmp_path
):
    """After a first training the automation condition requests no fill of a partitioned
    table's new partitions (the partition sensor does, once): only filled ones are refilled."""
    Warehouse(warehouse_url).publish(sample_frame(rows=120, months=(1, 2)), unique_name)
    spec = table_spec(unique_name, partition={"column": "month", "kind": "dynamic"}, exclude=[])
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(f"{unique_name}__partitions", ["1", "2"])
    imputed = dg.AssetKey(f"{unique_name}_imputed")
    start = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    trained = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=start.cursor)
    assert trained.get_num_requested(imputed) == 0

    materialize(defs, f"key:{unique_name}_imputed", partition_key="1", instance=instance)
    filled = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=trained.cursor)
    assert filled.get_num_requested(imputed) == 0
    materialize(
        defs,
        f"key:{unique_name}/models/*",
        instance=instance,
        run_config=force_retrain(unique_name),
    )
    again = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=filled.cursor)
    assert again.get_num_requested(imputed) == 1  # the filled partition 1, not 2


def test_a_free_text_column_gets_its_model_asset_materialized_as_left(
    warehouse_url, unique_name, tmp_path
):
    """Discovery counts gaps in SQL, so a free-text column with gaps gets a model asset. Its
    training leaves it (no model) and says why; the asset is materialized all the same, or the
    imputed table's automation would wait on a missing dependency forever."""
    from impute_assets.pipeline.discovery import discover

    frame = sample_frame(rows=120)
    frame["note"] = [f"customer {i} called about the invoice of week {i % 9}" for i in range(120)]
    frame.loc[frame.index % 4 == 0, "note"] = None
    Warehouse(warehouse_url).publish(frame, unique_name)
    spec = table_spec(unique_name)
    spec.pop("columns")
    found = discover([TableSpec.parse(spec)])
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"), discovery=found)
    instance = dg.DagsterInstance.ephemeral()
    start = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    trained = materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    assert decisions(trained)["note"] == "left"
    assert "free text" in str(reported(trained)[f"{unique_name}/models/note"].reason)
    assert {d for c, d in decisions(trained).items() if c != "note"} == {"train"}
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=start.cursor)
    assert after.get_num_requested(dg.AssetKey(f"{unique_name}_imputed")) == 1
