"""Shared fixtures: real database servers, chosen by env vars, and unique names per test.

Server tests FAIL when CI=true and the server is unreachable; elsewhere they skip and say how to
point them at a server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import settings

SERVERS = {
    "postgres": (
        "IMPUTE_ASSETS_TEST_POSTGRES_URL",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    ),
    "mysql": ("IMPUTE_ASSETS_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}


def _server_url(name: str) -> str:
    env_var, default = SERVERS[name]
    url = os.environ.get(env_var, default)
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        message = (
            f"{name} server unreachable at {sa.make_url(url).render_as_string(hide_password=True)}"
            f" ({type(exc).__name__}: {exc}); set {env_var} to a SQLAlchemy URL of a test database"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the PostgreSQL test database (IMPUTE_ASSETS_TEST_POSTGRES_URL)."""
    return _server_url("postgres")


@pytest.fixture(scope="session")
def mysql_url() -> str:
    """URL of the MySQL/MariaDB test database (IMPUTE_ASSETS_TEST_MYSQL_URL)."""
    return _server_url("mysql")


@pytest.fixture
def duckdb_url(tmp_path) -> str:
    """URL of a fresh DuckDB file for this test."""
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """URL of a fresh SQLite file for this test."""
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


@pytest.fixture(params=["duckdb", "sqlite", "postgres", "mysql"])
def any_warehouse_url(request) -> str:
    """Each supported engine in turn."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def unique_name() -> str:
    """A table/schema name no other test uses; tests drop what they create."""
    return f"t_{uuid.uuid4().hex[:10]}"


def _imported_modules(
    statement: str, env: dict[str, str] | None = None, cwd: str | os.PathLike | None = None
) -> set[str]:
    """Every module ``python -X importtime -c statement`` imports, by dotted name."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=True,
    )
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.fixture(scope="session")
def imported_modules():
    """A function: the modules a Python statement imports (read from ``-X importtime``)."""
    return _imported_modules


# CI runs the property tests on a fixed example sequence so a red build is reproducible;
# elsewhere hypothesis explores freely (IMPUTE_ASSETS_HYPOTHESIS_EXAMPLES=500 for a long hunt).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")
