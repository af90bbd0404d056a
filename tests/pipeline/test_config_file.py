"""An impute.yaml is checked when it is read: every mistake fails at load, naming file, table
and key (no warehouse, no Dagster)."""

from __future__ import annotations

import re

import pytest

from impute_assets.pipeline.config_file import load_tables_file
from impute_assets.pipeline.spec import SpecError, TableSpec

GOOD = "tables:\n  - table: orders\n    columns: [qty]\n"


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ("confidence: 1.5", "confidence"),
        ("model: {epochs: ten}", "model.epochs"),
        ("model: {hidden_dim: -5}", "model: ImputerConfig.hidden_dim"),
        ("model: {epochs: 0}", "model: ImputerConfig.epochs"),
        ('model: {device: "tpu"}', "model: ImputerConfig.device"),
        ("column_model: {qty: {learning_rate: 0}}", "column_model.qty"),
        ("url_env: ''", "url_env"),
        ("columns: []", "columns"),
        ("order_by: [a, b]", "order_by"),
        ("confidence: {qty: 1.5}", "confidence.qty: Input should be less than or equal to 1"),
        ("inputs: {qty: [qty, price]}", "inputs.qty lists 'qty' itself"),
        ("validation: {tolerances: {std: -1}}", "validation.tolerances.std: Input should be"),
        ("validation: {tolerances: {sdt: 0.3}}", "validation.tolerances.sdt: Extra inputs"),
        (
            "validation: {column_tolerances: {qty: {kl: 1}}}",
            "validation.column_tolerances.qty.kl: Extra inputs",
        ),
        ("training_rows: 1e30", "training_rows"),
    ],
)
def test_bad_values_fail_at_load_naming_file_line_table_and_key(tmp_path, entry, key):
    path = tmp_path / "impute.yaml"
    path.write_text(f"tables:\n  - table: other\n  - table: orders\n    {entry}\n")
    with pytest.raises(SpecError) as error:
        load_tables_file(path)
    message = str(error.value)
    assert f"{path}:3: table 'orders'" in message and key in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tables:\n  - orders\n", "tables[0] must be a mapping"),
        ("tables:\n  - table: orders\n    table: customers\n", "duplicate key 'table'"),
        ("tables:\n  - table: orders\n    columns: [qty\n", "line 4"),
        ("tables: []\ndefaults: [a]\n", "'defaults' must be a mapping"),
    ],
)
def test_malformed_files_name_the_file(tmp_path, text, expected):
    path = tmp_path / "impute.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as error:
        load_tables_file(path)
    assert str(path) in str(error.value) and expected in str(error.value)


def test_a_good_file_loads_and_finds_tables_by_qualified_name(tmp_path):
    path = tmp_path / "impute.yaml"
    path.write_text(GOOD + "  - table: orders\n    schema: b\n    columns: [qty]\nmodel_store: m\n")
    parsed = load_tables_file(path)
    assert parsed.model_store == str(tmp_path / "m")
    assert parsed.table("b.orders").db_schema == "b" and parsed.table("orders").db_schema is None
    with pytest.raises(SpecError, match=r"no table 'c\.orders'"):
        parsed.table("c.orders")


def test_store_name_keeps_schemas_apart():
    a = TableSpec.parse({"table": "orders", "schema": "a"})
    b = TableSpec.parse({"table": "orders", "schema": "b"})
    assert (a.store_name, b.store_name) == ("a.orders", "b.orders")
    assert TableSpec.parse({"table": "orders"}).store_name == "orders"


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        (
            "  - table: orders\n",
            "impute.yaml:4: table 'orders' is declared again (first by tables[0]",
        ),
        (
            "  - table: returns\n    output_table: orders_imputed\n",
            "impute.yaml:4: output_table 'orders_imputed' is declared again (first by tables[0]",
        ),
    ],
)
def test_a_table_declared_twice_is_refused_naming_both_lines(tmp_path, second, expected):
    path = tmp_path / "impute.yaml"
    path.write_text(GOOD + second)
    parsed = load_tables_file(path)  # each entry is valid on its own (Dagster isolates them)
    with pytest.raises(SpecError, match=re.escape(expected)) as error:
        parsed.check_unique()
    assert f"{path}:2" in str(error.value)


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"confidence": 1.5}, "is not valid under any of the given schemas"),
        ({"confidence": {"qty": -0.5}}, "is not valid under any of the given schemas"),
        ({"validation": {"tolerances": {"std": -1}}}, "-1 is less than the minimum of 0.0"),
        ({"validation": {"tolerances": {"sdt": 0.3}}}, "('sdt' was unexpected)"),
        ({"validation": {"column_tolerances": {"qty": {"kl": 1}}}}, "('kl' was unexpected)"),
        ({"training_rows": 10**30}, "is not valid under any of the given schemas"),
    ],
)
def test_the_json_schema_dg_check_yaml_reads_refuses_them_too(entry, error):
    """``dg check yaml`` validates a component's YAML against its JSON schema only (no
    validators run): constraints live in the schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(TableSpec.model_json_schema())
    messages = [e.message for e in validator.iter_errors({"table": "orders", **entry})]
    assert any(error in m for m in messages), messages
    assert not list(
        validator.iter_errors(
            {"table": "orders", "confidence": 0.5, "validation": {"tolerances": {"std": 0.5}}}
        )
    )
