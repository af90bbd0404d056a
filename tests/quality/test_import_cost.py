"""Importing the package, its quality layer or the CLI parser must not load GE (nor scipy,
torch, dagster): each takes seconds, and Dagster re-imports the code location per step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"great_expectations", "scipy", "dagster", "torch"}


@pytest.mark.parametrize(
    "statement",
    [
        "import impute_assets",
        "import impute_assets.quality",
        "from impute_assets.cli import build_parser; build_parser()",
    ],
)
def test_import_does_not_load_great_expectations(statement):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                          capture_output=True, text=True, env=env, check=True)  # fmt: skip
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    heavy = {m for m in modules if m.split(".")[0] in HEAVY}
    assert not heavy, f"{statement!r} imported {sorted(heavy)[:5]}"
