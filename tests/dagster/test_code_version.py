"""Code versions follow the installed impute-assets distribution (a new release retrains)."""

from __future__ import annotations

import importlib.metadata

import dagster as dg

import impute_assets
from impute_assets.dagster import build_imputation_defs


def _code_versions() -> dict[str, str | None]:
    defs = build_imputation_defs([{"table": "t", "columns": ["c"]}])
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): graph.get(key).code_version
        for key in (dg.AssetKey(["t", "models", "c"]), dg.AssetKey("t_imputed"))
    }


def test_code_versions_change_with_the_installed_version(monkeypatch):
    assert impute_assets.__version__ == importlib.metadata.version("impute-assets")
    installed = _code_versions()
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "999.0")
    assert impute_assets.__version__ == "999.0"
    upgraded = _code_versions()
    assert all(installed[k] != upgraded[k] for k in installed)
