"""TableSpec validation, the translator, the YAML loaders: no warehouse needed."""

from __future__ import annotations

import dagster as dg
import pytest

from impute_assets.dagster import (
    ImputationAssetData,
    ImputationTranslator,
    SpecError,
    TableSpec,
    build_imputation_defs,
    load_imputation_yaml,
)
from impute_assets.dagster.sensor import PARTITION_SENSOR
from tests.dagster.runs import sensor_of


def test_defaults():
    spec = TableSpec.parse({"table": "weather"})
    assert spec.output_name == "weather_imputed"
    assert spec.audit_name == "weather_imputed_audit"
    assert spec.reuse.mode == "if_fresh"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"table": "weather", "colums": ["temp"]}, "colums"),
        ({"table": "weather", "model": {"epoch": 3}}, "epoch"),
        ({"table": "weather", "column_model": {"temp": {"lr": 1}}}, "column_model.temp"),
        ({"table": "weather", "reuse": {"mode": "sometimes"}}, "reuse.mode"),
        ({"table": "weather", "partition": {"column": "d", "kind": "monthly"}}, "partition.start"),
        ({"table": "weather", "columns": ["temp"], "skip": ["temp"]}, "skip"),
        ({"table": "weather", "training_rows": 0}, "training_rows"),
    ],
)
def test_invalid_config_names_table_and_key(data, key):
    with pytest.raises(SpecError) as error:
        TableSpec.parse(data)
    assert "'weather'" in str(error.value) and key in str(error.value)


def test_a_second_table_writing_the_same_output_stands_as_its_own_failure():
    defs = build_imputation_defs(
        [
            {"table": "a", "columns": ["c"], "output_table": "x"},
            {"table": "b", "columns": ["c"], "output_table": "x"},
        ]
    )
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"a", "x", "a/models/c", "b/definition_error"} <= keys
    assert not any(k.startswith("b/models") for k in keys)
    failure = defs.resolve_assets_def(dg.AssetKey(["b", "definition_error"])).specs_by_key
    (spec,) = failure.values()
    assert spec.description.startswith("table 'b' (entry 2) could not be defined: ")
    assert "entry 1 (table 'a')" in spec.description


@pytest.mark.parametrize(
    ("role", "column", "key"),
    [
        ("source", None, ["weather"]),
        ("missing_values", None, ["weather", "missing_values"]),
        ("model", "temp", ["weather", "models", "temp"]),
        ("imputed", None, ["weather_imputed"]),
    ],
)
def test_translator_default_keys(role, column, key):
    spec = TableSpec.parse({"table": "weather"})
    asset = ImputationTranslator().get_asset_spec(ImputationAssetData(role, spec, column))
    assert asset.key == dg.AssetKey(key)
    assert asset.group_name == "weather"


def test_custom_translator_renames_every_asset():
    class Prefixed(ImputationTranslator):
        def get_asset_spec(self, data):
            spec = super().get_asset_spec(data)
            return spec.replace_attributes(key=spec.key.with_prefix("wh"))

    defs = build_imputation_defs([{"table": "t", "columns": ["c"]}], translator=Prefixed())
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert keys == {"wh/t", "wh/t/missing_values", "wh/t/models/c", "wh/t_imputed"}


def test_defs_shape_tags_and_pool():
    defs = build_imputation_defs(
        [{"table": "t", "columns": ["a", "b"], "partition": {"column": "m", "kind": "dynamic"}}]
    )
    models = defs.resolve_assets_def(dg.AssetKey(["t", "models", "a"]))
    assert models.can_subset and models.keys == {dg.AssetKey(["t", "models", k]) for k in "ab"}
    assert models.op.pool == "gpu"
    assert "nvidia.com/gpu" in str(models.op.tags["dagster-k8s/config"])
    imputed = defs.resolve_assets_def(dg.AssetKey("t_imputed"))
    assert isinstance(imputed.partitions_def, dg.DynamicPartitionsDefinition)
    graph = defs.resolve_asset_graph()
    checks = {k.name: k.asset_key for k in graph.asset_check_keys}
    assert set(checks) == {"missing_values", "expectations", "distribution"}
    # every check sits on an asset Dagster materializes, so `--select '*'` runs all of them
    assert all(graph.get(key).is_materializable for key in checks.values())
    assert sensor_of(defs, PARTITION_SENSOR).default_status.value == "RUNNING"


def test_impute_yaml(tmp_path):
    path = tmp_path / "impute.yaml"
    path.write_text("model_store: models\ntables:\n  - table: t\n    columns: [a]\n")
    defs = load_imputation_yaml(path)
    assert dg.AssetKey("t_imputed") in defs.resolve_all_asset_keys()
    assert defs.resources["model_store"].root == str(tmp_path / "models")
    path.write_text("tables:\n  - table: t\n    columns: [a]\n    reuse: {mode: maybe}\n")
    with pytest.raises(SpecError, match=r"impute.yaml:2: table 't': reuse.mode"):
        load_imputation_yaml(path)


def test_two_calls_in_one_code_location_get_their_own_sensors():
    partitioned = {"columns": ["x"], "partition": {"column": "m", "kind": "dynamic"}}
    merged = dg.Definitions.merge(
        build_imputation_defs([{"table": "a", **partitioned}]),
        build_imputation_defs([{"table": "b", **partitioned}], name="second"),
    )
    dg.Definitions.validate_loadable(merged)
    assert sorted(s.name for s in merged.sensors) == [
        "impute_automation__a_imputed",
        "impute_automation__second",
        "impute_new_partitions__a_imputed",
        "impute_new_partitions__second",
    ]
