"""A real Airflow 3: a SQLite metadata database in a temp AIRFLOW_HOME, DAGs parsed from
``tests/airflow/dags`` and run with ``dag.test()``, XComs and asset events read back from it.

Airflow reads its configuration when first imported, so the environment is set here, before
any test module imports ``impute_assets.airflow``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

DAGS = Path(__file__).parent / "dags"
_HOME = tempfile.mkdtemp(prefix="impute_assets_airflow_")
os.environ.update(
    AIRFLOW_HOME=_HOME,
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{_HOME}/airflow.db",
    AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",  # asset events queue unpaused DAGs only
    AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL="0",  # each test re-points the test DAGs
    GX_ANALYTICS_ENABLED="false",
)
if importlib.util.find_spec("airflow") is None:
    collect_ignore_glob = ["*.py", "dags/*.py"]  # Airflow is not installed (extra: airflow)

#: The connection id the test DAGs use.
CONN_ID = "test_warehouse"


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    """A fresh metadata database for the session (Airflow's own schema, on SQLite)."""
    from airflow.utils import db

    db.resetdb()
    yield
    shutil.rmtree(_HOME, ignore_errors=True)


def connection_env(url: str) -> str:
    """``AIRFLOW_CONN_*`` JSON for a SQLAlchemy URL, split into Airflow's connection parts
    (PostgreSQL as Airflow's own ``postgres`` type)."""
    import sqlalchemy as sa

    parts = sa.make_url(url)
    backend = parts.get_backend_name()
    return json.dumps(
        {
            "conn_type": {"postgresql": "postgres"}.get(backend, backend),
            "host": parts.host,
            "port": parts.port,
            "login": parts.username,
            "password": parts.password,
            "schema": parts.database,
        }
    )


@pytest.fixture
def run_dag(airflow_db, monkeypatch, tmp_path) -> Callable[..., Any]:
    """A function: point the test DAGs at ``spec`` in the warehouse at ``url``, run ``dag_id``
    with ``dag.test()`` and return its DagRun."""

    def run(dag_id: str, spec: dict[str, Any], url: str, conf: dict[str, Any] | None = None):
        from airflow.dag_processing.dagbag import DagBag

        monkeypatch.setenv("IMPUTE_ASSETS_AIRFLOW_TEST_SPEC", json.dumps(spec))
        monkeypatch.setenv("IMPUTE_ASSETS_AIRFLOW_TEST_STORE", str(tmp_path / "models"))
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", connection_env(url))
        bag = DagBag(dag_folder=str(DAGS))
        assert not bag.import_errors, bag.import_errors
        return bag.get_dag(dag_id).test(run_conf=conf or {})

    return run


def xcom(run: Any, task_id: str) -> Any:
    """The return value a task of ``run`` pushed, as stored in the metadata database."""
    from airflow import settings
    from airflow.models.xcom import XComModel

    with settings.Session() as session:
        query = XComModel.get_many(
            run_id=run.run_id, task_ids=task_id, key="return_value", dag_ids=run.dag_id
        )
        rows = session.scalars(query).all()
        assert len(rows) == 1, f"{run.dag_id}.{task_id}: {len(rows)} return values"
        return XComModel.deserialize_value(rows[0])


def task_states(run: Any) -> dict[str, str]:
    """Each task's final state in ``run``."""
    from airflow import settings
    from airflow.models.taskinstance import TaskInstance

    with settings.Session() as session:
        tis = session.query(TaskInstance).filter_by(dag_id=run.dag_id, run_id=run.run_id).all()
        return {ti.task_id: str(ti.state) for ti in tis}
