"""``impute-assets evaluate``: a real subprocess on a real file, scoring our Imputer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def small_table(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": 3 * x + rng.normal(scale=0.3, size=n),
            "group": np.where(x > 0, "high", "low"),
        }
    )


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "impute_assets.cli", "evaluate", *args],
        check=False, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )


def test_evaluate_prints_a_summary_of_hidden_cell_scores(tmp_path):
    path = tmp_path / "table.csv"
    small_table().to_csv(path, index=False)
    done = run_cli(str(path), "--pattern", "mar", "--fraction", "0.2", "--seed", "0",
                   "--device", "cpu")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "MAR 20% of observed cells hidden (seed 0)" in out
    for column in ("x", "y", "group", "overall (mean)"):
        assert column in out
    assert "48 cells hidden and scored" in out  # 16 per column


def test_evaluate_markdown_and_a_bad_column(tmp_path):
    path = tmp_path / "table.parquet"
    small_table().to_parquet(path)
    done = run_cli(str(path), "--columns", "y", "--markdown", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    assert re.search(r"\| y +\| numeric +\| +16 \|", done.stdout)
    failed = run_cli(str(path), "--columns", "nope")
    assert failed.returncode != 0 and "nope" in failed.stderr
