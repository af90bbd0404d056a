"""DuckDB admits one process per file: the warehouse releases the file between operations and
waits for another process's lock instead of failing (Dagster runs and sensors share a file)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from impute_assets.warehouse import Warehouse

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_the_file_is_free_between_operations(tmp_path, unique_name) -> None:
    path = tmp_path / "w.duckdb"
    warehouse = Warehouse(f"duckdb:///{path}")
    warehouse.publish(pd.DataFrame({"x": [1.0, None]}), unique_name)
    assert warehouse.profile(unique_name).rows == 2
    other = subprocess.run(
        [sys.executable, "-c", HOLD, str(path), "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert other.returncode == 0, other.stderr  # another process could open the file


def test_an_operation_waits_for_another_process_to_release_the_file(tmp_path, unique_name) -> None:
    path = tmp_path / "w.duckdb"
    warehouse = Warehouse(f"duckdb:///{path}")
    warehouse.publish(pd.DataFrame({"x": [1.0, None, 3.0]}), unique_name)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        profile = warehouse.profile(unique_name)  # the file is locked now: this must wait
    finally:
        holder.wait(timeout=60)
    assert profile.rows == 3 and profile.columns["x"].missing == 1
    assert holder.returncode == 0
