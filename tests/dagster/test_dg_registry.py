"""``dg`` finds the component through the package's registry entry point: ``dg list
components`` lists it and ``dg utils inspect-component`` shows its schema (the tables' keys and
``translation``). Entry points come from the installed metadata: ``make install`` (``pip
install -e .``) registers them."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from tests.factories import REPO_ROOT, repo_env

GROUP = "dagster_dg_cli.registry_modules"
COMPONENT = "impute_assets.dagster.ImputeTablesComponent"


def _dg(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=600,
        env=repo_env(COLUMNS="200"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_package_declares_its_registry_module():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    module = project["entry-points"][GROUP]["impute_assets"]
    assert module == COMPONENT.rsplit(".", 1)[0]


def test_dg_lists_and_inspects_the_component(tmp_path):
    installed = {e.value for e in metadata.entry_points(group=GROUP)}
    if "impute_assets.dagster" not in installed:
        pytest.fail(
            "the package's dg entry point is not installed: reinstall it "
            "(`make install` or `pip install --no-deps -e .`)"
        )
    listed = json.loads(_dg("list", "components", "--json", cwd=tmp_path))["items"]
    assert COMPONENT in {item["key"] for item in listed}
    schema = json.loads(
        _dg("utils", "inspect-component", COMPONENT, "--defs-yaml-json-schema", cwd=tmp_path)
    )
    text = json.dumps(schema)
    assert '"tables"' in text and '"translation"' in text and "columns to impute" in text
