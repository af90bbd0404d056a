"""``impute-assets evaluate``: a real subprocess on a real file, scoring our Imputer."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.factories import REPO_ROOT, readings_frame, repo_env

#: The columns of the summary table, as ``evaluate`` prints them.
HEADER = (
    "column",
    "kind",
    "hidden",
    "left",
    "nRMSE",
    "nMAE",
    "MAE",
    "Wasserstein",
    "accuracy",
    "macro-F1",
)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = repo_env(OMP_NUM_THREADS="1", COLUMNS="200")  # wide enough that no cell wraps
    return subprocess.run(
        [sys.executable, "-m", "impute_assets.cli", "evaluate", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=300,
    )


def test_evaluate_prints_a_summary_of_hidden_cell_scores(tmp_path):
    path = tmp_path / "table.csv"
    readings_frame(rows=80, noise=0.3, gaps=0.0, group=True).to_csv(path, index=False)
    done = run_cli(
        str(path), "--pattern", "mar", "--fraction", "0.2", "--seed", "0", "--device", "cpu"
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "MAR 20% of observed cells hidden (seed 0)" in out
    assert "64 cells hidden and scored" in out  # 16 of each column's 80
    rows = {
        cells[0]: dict(zip(HEADER, cells, strict=True))
        for cells in (
            [c.strip() for c in line.strip()[1:-1].split("│")]
            for line in out.splitlines()
            if line.startswith("│")
        )
    }
    assert set(rows) == {"x", "y", "z", "group", "overall (mean)"}
    for column, kind in {
        "x": "numeric",
        "y": "numeric",
        "z": "numeric",
        "group": "categorical",
    }.items():
        assert (rows[column]["kind"], rows[column]["hidden"], rows[column]["left"]) == (
            kind,
            "16",
            "0",
        )
    # y and x predict each other, z is noise: the scores say so, and group follows x's sign.
    assert float(rows["y"]["nRMSE"]) < float(rows["z"]["nRMSE"]) > float(rows["x"]["nRMSE"])
    assert float(rows["group"]["accuracy"]) >= 0.9


def test_evaluate_markdown_and_a_bad_column(tmp_path):
    path = tmp_path / "table.parquet"
    readings_frame(rows=80, noise=0.3, gaps=0.0, group=True).to_parquet(path)
    done = run_cli(str(path), "--columns", "y", "--markdown", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    assert re.search(r"\| y +\| numeric +\| +16 \|", done.stdout)
    failed = run_cli(str(path), "--columns", "nope")
    assert failed.returncode != 0 and "nope" in failed.stderr
