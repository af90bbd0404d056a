"""Fixtures of the pipeline tests: a Warehouse on each engine that cleans up after the test."""

from __future__ import annotations

from collections.abc import Iterator

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
