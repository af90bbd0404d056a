"""The YAML component is state-backed: loading never opens the warehouse, discovery happens on
``dg utils refresh-defs-state``, and a table whose discovery failed fails only its own runs."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import dagster as dg
import pytest

from impute_assets.warehouse import Warehouse
from tests.dagster.runs import materialize
from tests.factories import REPO_ROOT, TINY_MODEL, URL_ENV, repo_env, sample_frame

#: A warehouse that cannot be reached, with a password that must never be shown.
LOST_ENV = "IMPUTE_ASSETS_TEST_LOST_URL"
LOST_URL = "postgresql+psycopg://nobody:s3cr3t-pw@127.0.0.1:9/nowhere"


def _project(tmp_path: Path, found: str) -> tuple[str, Path]:
    """A dg project: one component with a reachable table (``found``, no columns listed), a
    table in an unreachable warehouse, and a table that lists its columns."""
    package = f"proj_{uuid.uuid4().hex[:8]}"
    root = tmp_path / package
    folder = root / "defs" / "tables"
    folder.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "defs" / "__init__.py").write_text("")
    (root / "dg.toml").write_text(
        f'directory_type = "project"\n[project]\nroot_module = "{package}"\n'
        f'defs_module = "{package}.defs"\n'
    )
    (root / "definitions.py").write_text(
        "from pathlib import Path\nimport dagster as dg\n\n\n@dg.definitions\ndef defs():\n"
        "    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)\n"
    )
    (folder / "defs.yaml").write_text(
        f"""type: impute_assets.dagster.ImputeTablesComponent
attributes:
  name: tables
  model_store: models
  defaults: {{model: {TINY_MODEL}, key: [id], exclude: [month]}}
  tables:
    - table: {found}
      url_env: {URL_ENV}
    - table: lost
      url_env: {LOST_ENV}
    - table: listed
      url_env: {LOST_ENV}
      columns: [a]
"""
    )
    return package, root


def _load(root: Path) -> dg.Definitions:
    importlib.invalidate_caches()
    return dg.load_from_defs_folder(path_within_project=root)


def test_code_location_loads_with_its_warehouse_unreachable(tmp_path):
    package, _ = _project(tmp_path, "weather")
    dagster = Path(sys.executable).with_name("dagster")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_IS_DEV_CLI"}
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", f"{package}.definitions"],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            **env,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)]),
            "DAGSTER_HOME": str(tmp_path),
            URL_ENV: LOST_URL,
            LOST_ENV: LOST_URL,
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_refresh_discovers_columns_and_a_broken_table_fails_only_its_runs(
    warehouse_url, unique_name, tmp_path, monkeypatch
):
    Warehouse(warehouse_url).publish(sample_frame(rows=60), unique_name)
    _, root = _project(tmp_path, unique_name)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(LOST_ENV, LOST_URL)

    before = _load(root)
    keys = {k.to_user_string() for k in before.resolve_all_asset_keys()}
    assert f"{unique_name}_imputed" in keys
    assert not any(k.startswith(f"{unique_name}/models/") for k in keys)
    assert "listed/models/a" in keys  # listed columns need no discovery

    refresh = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "utils", "refresh-defs-state"],
        check=False,
        capture_output=True,
        text=True,
        cwd=root,
        env=repo_env(tmp_path),
    )
    assert refresh.returncode == 0, refresh.stdout + refresh.stderr
    said = refresh.stdout + refresh.stderr  # the failed table is named, not just a green tick
    assert "discovery FAILED for table 'lost': " in said
    assert "1 of 2 discovered tables failed" in said and "s3cr3t-pw" not in said
    refreshed = _load(root)  # a plain load reads the stored state
    models = {k.to_user_string() for k in refreshed.resolve_all_asset_keys() if "models" in k.path}
    assert models == {f"{unique_name}/models/{c}" for c in "yzw"} | {"listed/models/a"}
    run = materialize(refreshed, dg.AssetSelection.assets("lost_imputed"), raise_on_error=False)
    assert not run.success
    (failure,) = [e for e in run.all_events if e.event_type_value == "STEP_FAILURE"]
    message = str(failure.event_specific_data.error_display_string)
    assert "table 'lost': finding its incomplete columns failed" in message
    assert "refresh-defs-state" in message and "s3cr3t-pw" not in message


@pytest.mark.parametrize("env", [{}, {LOST_ENV: "not a url"}])
def test_discovery_records_what_broke_each_table(env):
    from impute_assets.pipeline.discovery import DiscoveryError, discover
    from impute_assets.pipeline.spec import TableSpec

    spec = TableSpec(table="lost", url_env=LOST_ENV)
    found = discover([spec, TableSpec(table="listed", columns=["a"])], env=env)
    assert list(found.tables) == [f"{LOST_ENV}:.lost"]
    with pytest.raises(DiscoveryError, match="table 'lost': finding its incomplete columns"):
        found.columns_for(spec)
