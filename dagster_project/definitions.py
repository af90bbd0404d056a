"""Entry point of the demo code location (``workspace.yaml`` and ``dagster dev`` load this).

The tables are declared in ``defs/nycflights13/defs.yaml`` (an ``ImputeTablesComponent``).
Loading reads no data and imports neither torch nor great_expectations.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from dagster_project.warehouse import URL_ENV, demo_dir, demo_url

os.environ.setdefault(URL_ENV, demo_url())
os.environ.setdefault("IMPUTE_ASSETS_MODEL_STORE", str(demo_dir() / "models"))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dg.definitions
def defs() -> dg.Definitions:
    """The YAML-declared tables; one process runs the steps (DuckDB allows a single writer)."""
    tables = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return dg.Definitions.merge(tables, dg.Definitions(executor=dg.in_process_executor))
