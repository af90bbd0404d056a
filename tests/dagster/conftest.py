"""A small real table in a real warehouse (``tests.factories.sample_frame``), reached by URL_ENV."""

from __future__ import annotations

import pytest

from tests.factories import URL_ENV


@pytest.fixture
def warehouse_url(duckdb_url, monkeypatch) -> str:
    monkeypatch.setenv(URL_ENV, duckdb_url)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    return duckdb_url
