"""A small real table in a real warehouse, and real Definitions built on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

URL_ENV = "IMPUTE_ASSETS_TEST_WAREHOUSE_URL"
#: Tiny models: the tests check wiring and decisions, not accuracy.
FAST_MODEL = {"epochs": 2, "hidden_dim": 8, "embedding_dim": 4, "patience": 1, "seed": 0}


def sample_frame(rows: int = 240, seed: int = 0, months: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Readings with gaps: y follows x, z follows g, w is noisy; ``month`` partitions rows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    g = rng.choice(["a", "b", "c"], size=rows)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows, dtype="int64") + 1000 * seed,
            "month": np.resize(np.array(months, dtype="int64"), rows),
            "g": g,
            "x": x,
            "y": 3 * x + rng.normal(0, 0.1, rows),
            "z": np.where(g == "a", "red", "blue"),
            "w": rng.normal(10, 2, rows),
        }
    )
    for column, share in (("y", 0.15), ("z", 0.1), ("w", 0.1)):
        frame.loc[rng.random(rows) < share, column] = None
    return frame


def table_spec(table: str, **overrides):
    """The TableSpec data the tests start from."""
    return {
        "table": table,
        "url_env": URL_ENV,
        "key": ["id"],
        "columns": ["y", "z", "w"],
        "exclude": ["month"],
        "model": dict(FAST_MODEL),
        **overrides,
    }


@pytest.fixture
def warehouse_url(duckdb_url, monkeypatch) -> str:
    monkeypatch.setenv(URL_ENV, duckdb_url)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    return duckdb_url
