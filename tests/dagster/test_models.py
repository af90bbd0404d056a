"""Model assets with real Dagster, DuckDB and torch: train, reuse, retrain only what changed."""

from __future__ import annotations

from impute_assets.dagster import build_imputation_defs
from impute_assets.pipeline.plan import UnknownColumns
from impute_assets.store import ModelStore
from impute_assets.warehouse import KeyNotUnique, Warehouse
from tests.dagster.runs import decisions, materialize, reported
from tests.factories import sample_frame, table_spec


def test_train_then_reuse_then_retrain_only_changed(warehouse_url, unique_name, tmp_path):
    Warehouse(warehouse_url).publish(sample_frame(), unique_name)
    store = str(tmp_path / "models")
    selection = f"key:{unique_name}/models/*"

    first = materialize(
        build_imputation_defs([table_spec(unique_name)], model_store=store), selection
    )
    assert decisions(first) == {"y": "train", "z": "train", "w": "train"}
    meta = reported(first)[f"{unique_name}/models/y"]
    assert meta.training_rows and meta.training_rows > 0 and meta.model != "(none)"
    assert meta.baseline_score is not None
    assert meta.input_importance and set(meta.input_importance) <= set(meta.inputs)

    second = materialize(
        build_imputation_defs([table_spec(unique_name)], model_store=store), selection
    )
    assert decisions(second) == {"y": "reuse", "z": "reuse", "w": "reuse"}

    changed = table_spec(unique_name, column_model={"w": {"hidden_dim": 16}})
    third = materialize(build_imputation_defs([changed], model_store=store), selection)
    assert decisions(third) == {"y": "reuse", "z": "reuse", "w": "train"}


def test_column_type_change_retrains_only_dependent_models(warehouse_url, unique_name, tmp_path):
    # y learns from x alone; z and w learn from everything, g included.
    spec = table_spec(unique_name, inputs={"y": ["x"]})
    frame = sample_frame()
    warehouse = Warehouse(warehouse_url)
    warehouse.publish(frame, unique_name)
    store = str(tmp_path / "models")
    selection = f"key:{unique_name}/models/*"
    materialize(build_imputation_defs([spec], model_store=store), selection)

    # g changes type: from text categories to integer codes (categorical -> numeric).
    recoded = frame.assign(g=frame["g"].map({"a": 1, "b": 2, "c": 3}).astype("int64"))
    warehouse.publish(recoded, unique_name)
    again = materialize(build_imputation_defs([spec], model_store=store), selection)
    assert decisions(again) == {"y": "reuse", "z": "train", "w": "train"}


def test_repeated_or_misspelt_key_stops_the_models_before_training(
    warehouse_url, unique_name, tmp_path
):
    frame = sample_frame()
    frame.loc[5, "id"] = frame.loc[4, "id"]  # two rows share id 4
    Warehouse(warehouse_url).publish(frame, unique_name)
    store = ModelStore(str(tmp_path / "models"))
    selection = f"key:{unique_name}/models/*"
    for key, error in ((["id"], KeyNotUnique), (["idd"], UnknownColumns)):
        defs = build_imputation_defs([table_spec(unique_name, key=key)], model_store=store.root)
        run = materialize(defs, selection, raise_on_error=False)
        assert not run.success
        failure = next(e for e in run.all_events if e.is_step_failure)
        cause = failure.step_failure_data.error.cause
        message = cause.message
        assert cause.cls_name == error.__name__ and unique_name in message and key[0] in message
        if error is UnknownColumns:
            assert "idd (did you mean id?)" in message and not message.startswith('"')
        assert store.versions(unique_name, "y") == []  # nothing was trained
