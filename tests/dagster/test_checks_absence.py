"""Never green by absence, in Dagster: a check whose subject did not run warns and says why."""

from __future__ import annotations

import dagster as dg

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


def test_checks_after_a_failed_fill_say_the_fill_was_not_checked(
    warehouse_url, unique_name, tmp_path
):
    warehouse = Warehouse(warehouse_url)
    warehouse.publish(sample_frame(), unique_name)
    store, instance = str(tmp_path / "models"), dg.DagsterInstance.ephemeral()
    materialize(
        build_imputation_defs([table_spec(unique_name)], model_store=store), instance=instance
    )
    # new rows whose fill the validation refuses: the published table stays the old fill's
    warehouse.publish(sample_frame(seed=1), unique_name)
    refuse = {
        "type": "expect_column_max_to_be_between",
        "kwargs": {"column": "y", "max_value": -100},
    }
    strict = table_spec(unique_name, validation={"expectations": [refuse]})
    defs = build_imputation_defs([strict], model_store=store)
    failed = materialize(defs, raise_on_error=False, instance=instance)
    assert not failed.success
    # the checks did not run on the table the failed step left (Dagster skips them)
    assert set(check_evaluations(failed)) == {"missing_values"}

    # run on their own (the UI's "Execute checks"), they do not pass on the stale table
    imputed = dg.AssetKey(f"{unique_name}_imputed")
    alone = materialize(
        build_imputation_defs([table_spec(unique_name)], model_store=store),
        selection=dg.AssetSelection.checks_for_assets(imputed),
        instance=instance,
    )
    checks = check_evaluations(alone)
    assert set(checks) == {"expectations", "distribution"}
    for check in checks.values():
        assert check.passed is False and check.severity.value == "WARN"
        assert check.description.startswith(
            f"skipped: the last fill of {unique_name} failed in run {failed.run_id}"
        )
    # once a fill publishes again, the checks check it
    materialize(
        build_imputation_defs([table_spec(unique_name)], model_store=store), instance=instance
    )
    again = check_evaluations(
        materialize(
            build_imputation_defs([table_spec(unique_name)], model_store=store),
            selection=dg.AssetSelection.checks_for_assets(imputed),
            instance=instance,
        )
    )
    assert not any("the last fill" in (c.description or "") for c in again.values())
