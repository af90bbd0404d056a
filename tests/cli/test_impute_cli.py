"""``impute-assets impute``: the report shows each column's coverage and interval/set size."""

from __future__ import annotations

import pandas as pd
import pytest

from impute_assets.cli import main
from tests.factories import readings_frame


def test_impute_reports_coverage_at_the_asked_level(tmp_path, capsys):
    frame = readings_frame(rows=120, noise=0.3, gaps=0.0, group=True)
    frame.loc[::5, "y"] = None
    frame.loc[1::7, "group"] = None
    source, report = tmp_path / "table.csv", tmp_path / "report.csv"
    frame.to_csv(source, index=False)
    code = main(
        [
            "impute",
            str(source),
            "-o",
            str(tmp_path / "filled.csv"),
            "--epochs",
            "2",
            "--coverage",
            "0.8",
            "--report",
            str(report),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "coverage" in out and "x spread" in out and "labels" in out
    rows = pd.read_csv(report).set_index("column")
    assert rows.loc["y", "coverage"] == rows.loc["group", "coverage"] == 0.8
    assert rows.loc["y", "width_to_spread"] > 0 and rows.loc["group", "mean_set_size"] > 0


def test_impute_refuses_to_save_over_other_files_before_fitting(tmp_path):
    source, folder = tmp_path / "table.csv", tmp_path / "keep"
    readings_frame(rows=40, gaps=0.2).to_csv(source, index=False)
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    filled = tmp_path / "filled.csv"
    with pytest.raises(FileExistsError, match="not a saved imputer"):
        main(["impute", str(source), "-o", str(filled), "--save-model", str(folder)])
    assert not filled.exists() and [p.name for p in folder.iterdir()] == ["notes.txt"]
