"""The wide-table benchmark runs each method through scale.py's process runner."""

from __future__ import annotations

import json


def test_a_wide_run_measures_each_column_count(benchmark_module, tmp_path) -> None:
    wide = benchmark_module("wide")
    out = tmp_path / "wide.md"
    wide.main(["--rows", "150", "--columns", "6", "--methods", "iterative", "--out", str(out)])
    (result,) = json.loads(out.with_suffix(".json").read_text())
    assert "error" not in result, result
    assert result["columns"] == 6 and result["observed_kept"] and result["nrmse"] < 1.5
    assert "| 6 |" in out.read_text()


def test_a_profile_path_names_the_method_and_threads(benchmark_module) -> None:
    scale = benchmark_module("scale")
    assert scale.profile_path("/tmp/out.txt", "ours", 0).name == "out_ours_0thr.txt"
