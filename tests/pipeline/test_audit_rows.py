"""One audit row per imputed cell, always: whole-table and partition publishes of one table
replace each other's audit rows, and a publish killed before its first commit leaves no empty
audit table behind. On DuckDB, PostgreSQL and MariaDB."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import repo_env, sample_frame, table_spec
from tests.warehouse.conftest import staging_tables


def _audit_per_partition(warehouse: Warehouse, name: str) -> dict[str | None, int]:
    audit = warehouse.read(name)
    return {k: int(v) for k, v in audit["partition"].value_counts(dropna=False).items()}


def test_whole_table_and_partition_publishes_replace_each_others_audit_rows(
    warehouse, unique_name, tmp_path
):
    warehouse.publish(sample_frame(rows=160, months=(1, 2)), unique_name)
    spec = TableSpec.parse(
        table_spec(unique_name, exclude=[], partition={"column": "month", "kind": "dynamic"})
    )
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
    run.train_or_reuse(["y", "z", "w"])
    whole = run.fill_and_publish(["y", "z", "w"])  # e.g. an Airflow task without a partition
    months = whole.filled["month"]
    per_month = {str(m): int(whole.imputed[months == m].to_numpy().sum()) for m in (1, 2)}
    assert _audit_per_partition(warehouse, spec.audit_name) == per_month
    first = run.fill_and_publish(["y", "z", "w"], "1")
    assert _audit_per_partition(warehouse, spec.audit_name) == {
        "1": first.cells_filled,
        "2": per_month["2"],
    }
    again = run.fill_and_publish(["y", "z", "w"])
    assert len(warehouse.read(spec.audit_name)) == again.cells_filled == sum(per_month.values())


CHILD = """
import sys, time
import pandas as pd
from impute_assets.warehouse import Warehouse, audit_frame

url, table, mode = sys.argv[1:4]
wh = Warehouse(url)
frame = pd.DataFrame({"id": [1, 2], "qty": [1.0, 2.0]})
cells = pd.DataFrame({"row": [0], "column": ["qty"], "value": [1.0], "confidence": [0.5],
                      "model_version": ["v"]})

def validate(staging):
    print("staged", flush=True)
    if mode == "hang":
        time.sleep(120)
    raise RuntimeError("refused")

wh.publish(frame, table, validate=validate, audit_table=table + "_audit",
           audit=audit_frame(cells, frame, ["id"], run_id="r", table=table))
"""


def _tables(warehouse: Warehouse) -> set[str]:
    with warehouse.engine.connect() as conn:
        return set(warehouse.dialect.table_names(conn, None))


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_a_failed_or_killed_first_publish_leaves_no_audit_table(url, unique_name, mode):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, unique_name, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=repo_env(),
    )
    try:
        assert child.stdout.readline().strip() == "staged", child.stderr.read()
        if mode == "hang":
            child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    warehouse = Warehouse(url)
    try:
        tables = _tables(warehouse)
        assert unique_name not in tables and f"{unique_name}_audit" not in tables
        deadline = time.monotonic() + 60
        while staging_tables(warehouse, f"{unique_name}_audit") or staging_tables(
            warehouse, unique_name
        ):
            assert time.monotonic() < deadline, "the dead publisher's staging was not swept"
            time.sleep(0.2)
            warehouse.sweep_staging()
    finally:
        with warehouse.engine.begin() as conn:
            for name in (unique_name, f"{unique_name}_audit"):
                conn.execute(
                    sa.text(f"DROP TABLE IF EXISTS {warehouse.dialect.qualified(name, None)}")
                )
        warehouse.close()
