"""Clean messages: an empty partition is a named skip, an unsupported column warns once per
process without a source line, and Great Expectations' INFO bookkeeping stays out of the logs
that Airflow and the CLI show."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import dagster as dg
import pytest
import yaml

from impute_assets.dagster import build_imputation_defs, load_imputation_yaml
from impute_assets.warehouse import Warehouse
from tests.dagster.processes import process_env
from tests.dagster.runs import materialize
from tests.factories import REPO_ROOT, sample_frame, table_spec


def test_an_empty_partition_is_skipped_naming_table_and_partition(
    warehouse_url, unique_name, tmp_path
):
    Warehouse(warehouse_url).publish(sample_frame(rows=120, months=(1, 2)), unique_name)
    spec = table_spec(unique_name, partition={"column": "month", "kind": "dynamic"}, exclude=[])
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(f"{unique_name}__partitions", ["1", "2", "3"])
    materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    imputed = dg.AssetKey(f"{unique_name}_imputed")
    run = materialize(defs, dg.AssetSelection.assets(imputed), partition_key="3", instance=instance)
    assert run.success
    assert run.get_asset_materialization_events() == []  # nothing published, no green asset
    messages = [e.user_message for e in instance.all_logs(run.run_id)]
    assert f"partition '3' of table '{unique_name}' has no rows: nothing to fill, skipped" in (
        " ".join(messages)
    )
    assert not any("frame is empty" in m for m in messages)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-W", "default", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=process_env({}),
        check=True,
        timeout=600,
    )


def test_an_unsupported_column_warns_once_without_a_source_line(tmp_path):
    done = _python(f"""
        from impute_assets.warehouse import Warehouse
        wh = Warehouse("duckdb:///{tmp_path / "w.duckdb"}")
        with wh.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (id INTEGER, uid UUID)")
        for _ in range(3):
            wh.describe("t")
            wh.read("t")
    """)
    assert done.stderr.count("has unsupported type UUID") == 1, done.stderr
    assert "warnings.warn" not in done.stderr and ".py:" not in done.stderr, done.stderr


def test_great_expectations_bookkeeping_stays_out_of_info_logs():
    """Airflow and the CLI show every INFO line of the root logger; GE's own are not there,
    nor its warning on each Decimal metric a warehouse returns; its other warnings are."""
    done = _python("""
        import logging
        logging.basicConfig(level=logging.INFO)
        import pandas as pd
        from impute_assets.quality import Suite, ExpectationSpec, validate_frame
        suite = Suite(name="s", expectations=[ExpectationSpec(
            type="expect_column_values_to_not_be_null", kwargs={"column": "a"})])
        print(validate_frame(pd.DataFrame({"a": [1, 2]}), suite).success)
        logging.getLogger("impute_assets").info("our own line")
        # what GE says of each Decimal metric PostgreSQL returns (a stdev of a numeric column)
        from decimal import Decimal
        from great_expectations.util import convert_decimal_to_float
        print(convert_decimal_to_float(Decimal("1.9834549558788923")))
        logging.getLogger("great_expectations.util").warning("a warning of GE's own")
    """)
    assert done.stdout.split() == ["True", "1.9834549558788923"]
    assert "our own line" in done.stderr  # INFO lines are shown ...
    assert "Skipping registering function" not in done.stderr  # ... but not GE's
    assert "for ephemeral docs site" not in done.stderr
    assert "lossy conversion" not in done.stderr  # nor its note on reading a Decimal
    assert "a warning of GE's own" in done.stderr  # its other warnings are kept


def test_a_table_declared_in_two_files_is_named_with_both_files(unique_name, tmp_path, caplog):
    files = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        files.append(tmp_path / folder / "impute.yaml")
        files[-1].write_text(yaml.safe_dump({"tables": [table_spec(unique_name)]}))
    with caplog.at_level(logging.ERROR, logger="impute_assets.dagster.factory"):
        first = load_imputation_yaml(files[0])
        load_imputation_yaml(files[0])
        assert not caplog.records  # the same file loaded twice (a reload) is no clash
        second = load_imputation_yaml(files[1])
    (record,) = caplog.records
    message = record.getMessage()
    assert f"table '{unique_name}'" in message and "Duplicate asset key" in message
    assert f"both in {files[0]} and in {files[1]}" in message
    # what the log explains: Dagster fails the merged code location, naming neither file
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="Duplicate asset key"):
        dg.Definitions.merge(first, second).get_repository_def()
