"""Importing the package, its light layers or the CLI parser stays cheap: no torch, GE, scipy
or dagster (each takes seconds, and Dagster re-imports code locations in every step)."""

from __future__ import annotations

import pytest

HEAVY = {"torch", "great_expectations", "scipy", "dagster"}


@pytest.mark.parametrize(
    "statement",
    [
        "import impute_assets",
        "import impute_assets.quality",
        "import impute_assets.warehouse",
        "import impute_assets.store",
        "from impute_assets.core.kinds import infer_kinds",
        "from impute_assets.core.config import ImputerConfig",
        "from impute_assets.cli import build_parser; build_parser()",
    ],
)
def test_import_does_not_load_heavy_libraries(statement: str, imported_modules) -> None:
    loaded = imported_modules(statement)
    assert any(m.startswith("impute_assets") for m in loaded)
    heavy = {m for m in loaded if m.split(".")[0] in HEAVY}
    assert not heavy, f"{statement!r} imported {sorted(heavy)[:5]}"
