"""Engines for warehouse URLs; DuckDB's single-writer file lock is waited for, not failed on.

A DuckDB file admits one process at a time. Pooled connections would hold its lock for as long
as the process lives (a Dagster code server evaluating a sensor would lock every run out), so
DuckDB engines do not pool, and a connection attempt that meets another process's lock retries
with backoff for up to :data:`LOCK_TIMEOUT` seconds, as Dagster's own DuckDB resource does.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from impute_assets.warehouse.dialects import dialect_class

#: Seconds a DuckDB connection waits for another process to release the file.
LOCK_TIMEOUT = 120.0
_LOCK_MESSAGE = "Could not set lock"


def create_engine(url: sa.URL, **kwargs: Any) -> sa.Engine:
    """``sa.create_engine``, with DuckDB's lock handling (see the module docstring)."""
    if not dialect_class(url.get_backend_name()).one_process:
        return sa.create_engine(url, **kwargs)
    kwargs.setdefault("poolclass", NullPool)
    engine = sa.create_engine(url, **kwargs)
    sa.event.listen(engine, "do_connect", _wait_for_lock)
    return engine


def _wait_for_lock(dialect: Any, record: Any, cargs: tuple, cparams: dict) -> Any:
    deadline = time.monotonic() + LOCK_TIMEOUT
    delay = 0.05
    while True:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:  # duckdb raises IOException; anything else is re-raised below
            if _LOCK_MESSAGE not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
