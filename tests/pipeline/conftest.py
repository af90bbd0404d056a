"""Fixtures of the pipeline tests: a Warehouse on each engine that cleans up after the test,
and a small table whose one gap column a tiny model fills."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import Warehouse


@pytest.fixture(params=["duckdb", "postgres", "mysql"])
def url(request) -> str:
    """The URL of each engine's test database (DuckDB file, PostgreSQL, MariaDB)."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def warehouse(url, unique_name) -> Iterator[Warehouse]:
    """A Warehouse on ``url``; drops the test's source, output and audit tables after."""
    wh = Warehouse(url)
    yield wh
    with wh.engine.begin() as conn:
        for name in (unique_name, f"{unique_name}_imputed", f"{unique_name}_imputed_audit"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {wh.dialect.qualified(name, None)}"))
    wh.close()


def linear_rows(rows: int, gap_every: int) -> pd.DataFrame:
    """``id``, ``x`` and ``y`` = 2x, ``y`` missing on every ``gap_every``-th row: a table whose
    one gap column a tiny model fills."""
    x = np.random.default_rng(0).normal(size=rows)
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "x": x,
            "y": np.where(np.arange(rows) % gap_every == 0, np.nan, 2 * x),
        }
    )
