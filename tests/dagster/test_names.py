"""Any warehouse name gets a stable, collision-free Dagster name; the real one stays in metadata,
and a table that cannot be defined fails on its own, never the code location."""

from __future__ import annotations

import re

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.dagster import (
    ImputationMetadata,
    ImputationTranslator,
    ImputeTablesComponent,
    build_imputation_defs,
)
from impute_assets.dagster.translator import dagster_name
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import materialize, metadata_by_asset, reported
from tests.factories import TINY_MODEL, URL_ENV

LONG = "x" * 199
#: Names real warehouses hold: spaces, parentheses, %, quotes, non-ASCII, 200 characters,
#: names that differ only by case or punctuation, Python keywords and Dagster's reserved names.
AWKWARD = [
    "temp",
    "Culmen Length (mm)",
    "% change",
    "Délta",
    "delta",
    "Delta",
    "a b",
    "a_b",
    "a-b",
    "A B",
    "a.b",
    "a/b",
    "semi; colon",
    "it's",
    'say "hi"',
    "p%x",
    "日本語",
    "%%",
    "",
    "class",
    "type",
    "context",
    LONG + "a",
    LONG + "b",
    "Name",
    "name",
]
DAGSTER_NAME = re.compile(r"^[A-Za-z0-9_]{1,63}$")


def test_every_name_becomes_a_valid_distinct_stable_dagster_name():
    names = [dagster_name(n) for n in AWKWARD]
    assert all(DAGSTER_NAME.match(n) for n in names), names
    assert len(set(names)) == len(AWKWARD)  # no two warehouse names share one
    assert names == [dagster_name(n) for n in AWKWARD]  # stable
    assert dagster_name("temp") == "temp" and dagster_name("Name") == "Name"  # kept when valid
    assert dagster_name("Culmen Length (mm)").startswith("Culmen_Length_mm_")  # readable
    assert dagster_name("Délta").startswith("Delta_")


def test_awkward_table_and_column_names_load_with_valid_keys_and_tags():
    tables = [
        {"table": name, "columns": [*AWKWARD[:6], LONG + "a", LONG + "b"]}
        for name in ["p%x", "it's", "semi; colon", "ünï", "a/b", "Culmen Length (mm)"]
    ]
    defs = build_imputation_defs(tables)
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    assert not [k for k in keys if k.path[-1].startswith("definition_error")]
    assert len([k for k in keys if "models" in k.path]) == 6 * 8
    for assets in graph.assets_defs:
        for spec in assets.specs:
            assert all(DAGSTER_NAME.match(part) for part in spec.key.path), spec.key
            assert all(DAGSTER_NAME.match(v) for v in spec.tags.values() if v), spec.tags
    key = dg.AssetKey([dagster_name("p%x"), "models", dagster_name("% change")])
    meta = ImputationMetadata.from_metadata(defs.resolve_assets_def(key).specs_by_key[key].metadata)
    assert (meta.table, meta.column) == ("p%x", "% change")


class _Refusing(ImputationTranslator):
    """A translator that cannot name one table's assets."""

    def get_asset_spec(self, data):
        if data.spec.table == "bad":
            raise ValueError("no key for this table")
        return super().get_asset_spec(data)


def test_a_table_that_cannot_be_defined_fails_alone(tmp_path):
    defs = build_imputation_defs(
        [
            {"table": "good", "columns": ["c"]},
            {"table": "bad", "columns": ["c"]},
            {"table": "grouped", "columns": ["c"], "group": "not a group!"},
        ],
        translator=_Refusing(),
    )
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "good",
        "good/models/c",
        "good_imputed",
        "bad/definition_error",
        "grouped/definition_error",
    } <= keys
    assert not {"bad_imputed", "grouped_imputed"} & keys
    result = dg.materialize(
        [defs.resolve_assets_def(dg.AssetKey(["bad", "definition_error"]))],
        raise_on_error=False,
    )
    (failure,) = result.get_step_failure_events()
    assert "table 'bad' (entry 2) could not be defined: no key for this table" in (
        failure.step_failure_data.user_failure_data.description
    )


def test_a_table_listed_twice_in_yaml_fails_alone_naming_the_file(tmp_path):
    (tmp_path / "defs.yaml").write_text("type: impute_assets.dagster.ImputeTablesComponent\n")
    component = ImputeTablesComponent.resolve_from_yaml(
        "tables:\n"
        "  - {table: weather, columns: [temp]}\n"
        "  - {table: flights, columns: [dep_delay]}\n"
        "  - {table: weather, columns: [humid]}\n"
    )
    context = dg.ComponentTree.for_test().load_context.for_path(tmp_path)
    defs = component.build_defs_from_state(context, state_path=None)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"weather/models/temp", "flights/models/dep_delay", "weather/definition_error"} <= keys
    assert "weather/models/humid" not in keys
    failure = defs.resolve_assets_def(dg.AssetKey(["weather", "definition_error"]))
    description = failure.specs_by_key[failure.key].description
    assert f"entry 3 in {tmp_path / 'defs.yaml'}" in description
    assert f"entry 1 in {tmp_path / 'defs.yaml'} (table 'weather')" in description


def _awkward_frame(columns: list[str], rows: int = 120) -> pd.DataFrame:
    """``id``, an input ``x`` and each of ``columns`` following it, with gaps."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=rows)
    frame = pd.DataFrame({"id": np.arange(rows, dtype="int64"), "x": x})
    for number, column in enumerate(columns, start=1):
        frame[column] = number * x + rng.normal(0, 0.05, rows)
        frame.loc[rng.random(rows) < 0.15, column] = None
    return frame


def _materialize_awkward(url: str, table: str, columns: list[str], tmp_path) -> None:
    """Every asset of a table with awkward table and column names, materialized for real:
    the gaps filled, observed cells unchanged, the real names in metadata and lineage."""
    warehouse = Warehouse(url)
    source = _awkward_frame(columns)
    output = f"{table}_imputed"
    try:
        warehouse.publish(source, table)
        spec = {
            "table": table,
            "url_env": URL_ENV,
            "key": ["id"],
            "model": TINY_MODEL,
            "columns": columns,
        }
        result = materialize(build_imputation_defs([spec], model_store=str(tmp_path / "m")))
        assert result.success
        published = warehouse.read(output).sort_values("id").reset_index(drop=True)
        observed = source.notna()
        pd.testing.assert_frame_equal(
            published.where(observed), source.where(observed), check_dtype=False
        )
        assert published[columns].notna().all().all()  # every gap filled
        reports = reported(result)
        models = {reports[k].column: k for k in reports if "/models/" in k}
        assert set(models) == set(columns)  # each model reports its real column
        meta = metadata_by_asset(result)[dagster_name(output)]
        lineage = meta["dagster/column_lineage"].deps_by_column
        assert set(columns) <= set(lineage)
        for column in columns:
            read = {d.column_name for d in lineage[column]}
            assert column in read and read <= set(source.columns)  # the real source names
    finally:
        with warehouse.engine.begin() as conn:
            for name in (table, output, f"{output}_audit"):
                sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
        warehouse.close()


def test_awkward_names_materialize_on_duckdb(warehouse_url, unique_name, tmp_path):
    columns = ["Culmen Length (mm)", "% change", "Délta", "y" * 200]
    _materialize_awkward(warehouse_url, f"{unique_name} Penguins (raw) %", columns, tmp_path)


@pytest.mark.postgres
def test_names_differing_only_by_case_or_punctuation_materialize_on_postgres(
    postgres_url, unique_name, tmp_path, monkeypatch
):
    monkeypatch.setenv(URL_ENV, postgres_url)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    _materialize_awkward(
        postgres_url, f"{unique_name}_P%x", ["Mass", "mass", "ma-ss", "ma ss", "ma_ss"], tmp_path
    )


@pytest.mark.mysql
def test_awkward_names_materialize_on_mariadb(mysql_url, unique_name, tmp_path, monkeypatch):
    monkeypatch.setenv(URL_ENV, mysql_url)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    columns = ["Culmen Length (mm)", "% change", "Délta"]
    _materialize_awkward(mysql_url, f"{unique_name} P%x", columns, tmp_path)


class _RefusingAll(ImputationTranslator):
    def get_asset_spec(self, data):
        raise ValueError("no keys at all")


def test_undefined_tables_never_clash_with_each_other():
    """``a.b`` and ``a__b`` would share naive op names; two entries of one table share a key."""
    defs = build_imputation_defs(
        [
            {"table": "b", "schema": "a", "columns": ["c"]},
            {"table": "a__b", "columns": ["c"]},
            {"table": "t", "columns": ["c"]},
            {"table": "t", "columns": ["d"]},
        ],
        translator=_RefusingAll(),
    )
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {
        "a/b/definition_error",
        "a__b/definition_error",
        "t/definition_error",
        "t/definition_error_2",
    }
    dg.Definitions.validate_loadable(defs)
