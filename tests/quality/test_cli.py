"""``impute-assets validate`` in a subprocess, on a real SQLite table."""

from __future__ import annotations

import json
import subprocess
import sys

from quality_cases import BROKEN, write_table

from tests.factories import repo_env


def _validate(*args: str) -> subprocess.CompletedProcess:
    env = repo_env()
    return subprocess.run(
        [sys.executable, "-m", "impute_assets.cli", "validate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_validate_prints_results_and_exit_code(tmp_path, sqlite_url, observed, good, profile):
    against = tmp_path / "profile.json"
    profile.to_json(against)
    write_table(sqlite_url, "good", good)
    write_table(sqlite_url, "bad", BROKEN["unseen_category"][0](observed, good, profile))

    ok = _validate(sqlite_url, "good", "--against", str(against), "--row-count", "400")
    assert ok.returncode == 0, ok.stderr
    assert "passed" in ok.stdout and "values_to_be_in_set" in ok.stdout

    bad = _validate(sqlite_url, "bad", "--against", str(against), "--columns", "c", "--json")
    assert bad.returncode == 1, bad.stderr
    result = json.loads(bad.stdout)
    assert [(r["type"], r["column"]) for r in result["results"] if not r["success"]] == [
        ("expect_column_values_to_be_in_set", "c")]  # fmt: skip
