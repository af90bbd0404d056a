"""The YAML component: typed table entries (schema shown by dg), per-table translation,
defaults under each table's own keys, and errors that name the key at fault."""

from __future__ import annotations

import dagster as dg
import pytest

from impute_assets.dagster import ImputeTable, ImputeTablesComponent, TableSpec

YAML = """
defaults: {model: {epochs: 3}, training_rows: 100}
tables:
  - table: weather
    columns: [temp]
    training_rows: 500
    translation:
      key_prefix: [warehouse]
      group_name: "{{ table }}_imputation"
      tags: {role: "{{ role }}"}
  - table: flights
    columns: [air_time]
"""


def _component(text: str = YAML) -> ImputeTablesComponent:
    return ImputeTablesComponent.resolve_from_yaml(text)


def test_tables_are_typed_and_defaults_yield_to_each_tables_keys():
    component = _component()
    assert all(isinstance(t, ImputeTable) for t in component.tables)
    assert all(isinstance(t.spec, TableSpec) for t in component.tables)
    weather, flights = component.specs
    assert weather.training_rows == 500 and flights.training_rows == 100
    assert weather.model == flights.model == {"epochs": 3}


def test_translation_renames_only_its_own_tables_assets():
    context = dg.ComponentTree.for_test().load_context
    defs = _component().build_defs_from_state(context, state_path=None)
    graph = defs.resolve_asset_graph()
    specs = {s.key.to_user_string(): s for a in graph.assets_defs for s in a.specs}
    renamed = {"warehouse/weather", "warehouse/weather/models/temp", "warehouse/weather_imputed"}
    assert renamed <= set(specs)
    assert specs["warehouse/weather/models/temp"].group_name == "weather_imputation"
    assert specs["warehouse/weather/models/temp"].tags["role"] == "model"
    assert specs["warehouse/weather_imputed"].tags["role"] == "imputed"
    # The factory's choices are still there under the translation.
    assert specs["warehouse/weather_imputed"].automation_condition is not None
    assert specs["flights_imputed"].group_name == "flights"


def test_the_schema_dg_shows_lists_table_keys_and_translation():
    schema = ImputeTablesComponent.get_model_cls().model_json_schema()
    table = schema["$defs"]["ImputeTableModel"]["properties"]
    assert {"table", "columns", "order_by", "partition", "translation"} <= set(table)
    assert "columns to impute" in table["columns"]["description"]


@pytest.mark.parametrize(
    ("entry", "key"), [("colums: [temp]", "colums"), ("training_rows: 0", "training_rows")]
)
def test_a_bad_table_key_is_named(entry, key):
    with pytest.raises(Exception, match=key):
        _component(f"tables:\n  - table: weather\n    {entry}\n")
