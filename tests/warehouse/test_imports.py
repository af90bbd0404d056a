"""The warehouse layer imports neither torch, Great Expectations nor Dagster."""

from __future__ import annotations

import subprocess
import sys

from tests.factories import REPO_ROOT


def test_warehouse_import_stays_light():
    code = (
        "import sys, impute_assets.warehouse; "
        "print(sorted(m for m in ('torch', 'great_expectations', 'dagster') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT)},
    ).stdout.strip()
    assert out == "[]"
