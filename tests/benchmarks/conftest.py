"""Fixtures for the benchmark scripts' tests."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import pytest

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture
def benchmark_module(monkeypatch) -> Callable[[str], ModuleType]:
    """Imports ``benchmarks.<name>``. Some set one BLAS thread for their own runs when first
    imported: the variables are put back after the test, so later subprocesses do not inherit
    them."""

    def load(name: str) -> ModuleType:
        for var in THREAD_VARS:
            monkeypatch.setenv(var, "1")
        return importlib.import_module(f"benchmarks.{name}")

    return load
