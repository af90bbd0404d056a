"""``impute-assets demo`` end to end: seed, materialize, summary; a new month via the sensor."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.factories import repo_env


@pytest.mark.slow
def test_demo_then_new_month(tmp_path):
    env = repo_env(DAGSTER_HOME=str(tmp_path / "home"))
    env.pop("IMPUTE_ASSETS_WAREHOUSE_URL", None)
    (tmp_path / "home").mkdir()
    command = [sys.executable, "-m", "impute_assets.cli", "demo", "--dir", str(tmp_path / "demo")]
    first = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "weather_imputed:" in first.stdout and "flights_imputed:" in first.stdout
    assert "0 failed" in first.stdout and "runs: 4 of 4 succeeded" in first.stdout
    # Quiet runs: no Dagster event lines, one line per run.
    assert " - DEBUG - " not in first.stdout + first.stderr
    assert [line.split()[1] for line in first.stdout.splitlines() if line.startswith("ok ")] == [
        "weather_imputed:",
        *(["flights_imputed"] * 3),
    ]

    second = subprocess.run(
        [*command, "--new-month"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "runs: 1 of 1 succeeded" in second.stdout
    assert "ok   flights_imputed [4]:" in second.stdout and " - DEBUG - " not in second.stderr
