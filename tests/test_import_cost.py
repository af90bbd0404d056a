"""``import impute_assets`` stays cheap: no torch, great_expectations or dagster."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "great_expectations", "dagster")


def imported_modules(statement: str) -> set[str]:
    """Top-level modules that ``statement`` imports, read from ``python -X importtime``."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                          capture_output=True, text=True, check=True)
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("statement", [
    "import impute_assets",
    "from impute_assets.core.kinds import infer_kinds",
    "from impute_assets.core.config import ImputerConfig",
])
def test_package_import_does_not_load_heavy_libraries(statement: str) -> None:
    loaded = imported_modules(statement)
    assert "impute_assets" in loaded
    assert not loaded & set(HEAVY), f"{statement!r} imported {sorted(loaded & set(HEAVY))}"
