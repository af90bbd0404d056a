"""The demo code location loads, validates, and stays light (no torch, no GE at load)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.factories import REPO_ROOT, repo_env

HEAVY = ("torch", "great_expectations")


def _env(tmp_path) -> dict[str, str]:
    return repo_env(DAGSTER_HOME=str(tmp_path), IMPUTE_ASSETS_DEMO_DIR=str(tmp_path / "demo"))


def test_loading_the_code_location_imports_neither_torch_nor_ge(tmp_path, imported_modules):
    code = (
        "import impute_assets.dagster\n"
        "from dagster_project.definitions import defs\n"
        "defs().resolve_implicit_global_asset_job_def()\n"
    )
    imported = imported_modules(code, env=_env(tmp_path), cwd=tmp_path)
    assert "dagster" in imported and "impute_assets.dagster.assets" in imported
    for heavy in HEAVY:
        assert not {m for m in imported if m == heavy or m.startswith(heavy + ".")}, heavy


def test_dagster_definitions_validate(tmp_path):
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(REPO_ROOT / "workspace.yaml")],
        check=False,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
