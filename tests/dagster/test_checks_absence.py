"""Never green by absence, in Dagster: a check whose subject did not run warns and says why."""

from __future__ import annotations

from impute_assets.dagster import build_imputation_defs
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import check_evaluations, materialize
from tests.factories import sample_frame, table_spec


def test_the_missing_values_check_of_an_empty_table_is_not_a_pass(
    warehouse_url, unique_name, tmp_path
):
    Warehouse(warehouse_url).publish(sample_frame(rows=20).iloc[:0], unique_name)
    defs = build_imputation_defs([table_spec(unique_name)], model_store=str(tmp_path / "models"))
    run = materialize(defs, selection=f"{unique_name}/missing_values")
    check = check_evaluations(run)["missing_values"]
    assert check.passed is False and check.severity.value == "WARN"
    assert check.description == f"skipped: {unique_name} has no rows, so nothing was checked"
