"""Partitions filled in parallel by two Celery workers (dagster-celery on the local RabbitMQ),
with a PostgreSQL warehouse and a shared model store; single-host storage refused.

The broker is ``IMPUTE_ASSETS_TEST_CELERY_BROKER`` (default the local RabbitMQ, guest/guest):
unreachable, the test skips saying so, and fails under ``CI=true``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster_celery import celery_executor

from impute_assets.dagster import build_imputation_defs
from impute_assets.dagster.executors import SingleHostStorage
from impute_assets.warehouse import Warehouse
from tests.dagster.processes import finish, process_env, start, stop, wait_for_line
from tests.factories import REPO_ROOT, URL_ENV, sample_frame, table_spec

BROKER_ENV = "IMPUTE_ASSETS_TEST_CELERY_BROKER"
LOCATION = REPO_ROOT / "tests" / "dagster" / "locations" / "env_location.py"
WORKERS = 2
MONTHS = (1, 2)  # one partition per worker: lean, and still two workers filling at once


@pytest.fixture(scope="module")
def broker_url() -> str:
    """URL of a reachable Celery broker (skip, or fail under CI=true, when there is none)."""
    from kombu import Connection

    url = os.environ.get(BROKER_ENV, "pyamqp://guest:guest@127.0.0.1:5672//")
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means "no broker"
        message = f"no Celery broker at {url} ({exc}); set {BROKER_ENV} to an AMQP/Redis URL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def _worker_hosts(instance: dg.DagsterInstance, step_key: str) -> list[str]:
    """The Celery worker of every execution of ``step_key``, in any run (engine events)."""
    hosts = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            event = entry.dagster_event
            data = event.engine_event_data.metadata if event else {}
            if event and event.step_key == step_key and "Celery worker" in data:
                hosts.append(data["Celery worker"].value)
    return hosts


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(1800)  # several Dagster processes; a loaded machine slows them all
def test_partitions_fill_in_parallel_on_celery_workers(
    broker_url, postgres_url, unique_name, tmp_path
):
    table = unique_name
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = process_env(
        {
            "DAGSTER_HOME": str(home),
            URL_ENV: postgres_url,
            BROKER_ENV: broker_url,
            "IMPUTE_ASSETS_TEST_TABLE": table,
            "IMPUTE_ASSETS_TEST_EXECUTOR": "celery",
            "IMPUTE_ASSETS_TEST_MODEL_STORE": str(tmp_path / "models"),
            "IMPUTE_ASSETS_TEST_CELERY_QUEUE": f"impute_{uuid.uuid4().hex[:8]}",  # ours alone
        }
    )
    warehouse = Warehouse(postgres_url)
    source = sample_frame(rows=200, months=MONTHS)
    warehouse.publish(source, table)
    # Worker settings (read by dagster_celery.app): a busy worker holds its one task unacked
    # and takes no other, so two steps queued at once go to two workers. The prefork pool's
    # main process keeps the broker connection alive while a child runs the step (a busy
    # solo worker misses heartbeats, and the broker hands its unacked step to another).
    (tmp_path / "dagster_celery_config.py").write_text(
        "task_acks_late = True\nworker_prefetch_multiplier = 1\n"
    )
    worker_env = {**env, "PYTHONPATH": os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])}
    workers, runs = {}, []
    try:
        for i in range(WORKERS):
            log = tmp_path / f"worker{i}.log"
            workers[log] = start(
                [
                    "celery",
                    "-A",
                    "dagster_celery.app",
                    "-b",
                    broker_url,
                    "worker",
                    "--concurrency=1",
                    "--prefetch-multiplier=1",
                    "-Q",
                    env["IMPUTE_ASSETS_TEST_CELERY_QUEUE"],
                    "-n",
                    f"w{i}_{table}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    "-l",
                    "info",
                ],
                worker_env,
                log,
            )
        with dg.DagsterInstance.from_config(str(home)) as instance:
            instance.add_dynamic_partitions(f"{table}__partitions", [str(m) for m in MONTHS])

        def materialize(name: str, select: str, *extra: str) -> tuple[Path, subprocess.Popen]:
            log = tmp_path / f"{name}.log"
            args = ["dagster", "asset", "materialize", "-f", str(LOCATION), "--select", select]
            runs.append(start([*args, *extra], env, log))
            return log, runs[-1]

        # The models run waits in the queue while the workers start.
        log, models = materialize(
            "models", ",".join(f"{table}/models/{c}" for c in ("y", "z", "w"))
        )
        for worker_log, worker in workers.items():
            wait_for_line(worker, worker_log, " ready.")
        finish({"models": models}, {"models": log})
        fills = {
            f"fill{m}": materialize(f"fill{m}", f"{table}_imputed", "--partition", str(m))
            for m in MONTHS
        }
        finish({n: p for n, (_, p) in fills.items()}, {n: log for n, (log, _) in fills.items()})

        with dg.DagsterInstance.from_config(str(home)) as instance:
            fill_hosts = _worker_hosts(instance, f"{table}__imputed")
            model_hosts = _worker_hosts(instance, f"{table}__models")
        assert len(model_hosts) == 1, model_hosts  # models trained once, by one worker
        assert len(fill_hosts) == len(MONTHS), fill_hosts  # each partition filled once
        assert len(set(fill_hosts)) > 1, fill_hosts  # fills spread over the workers

        published = warehouse.read(f"{table}_imputed").sort_values("id").reset_index(drop=True)
        expected = source.sort_values("id").reset_index(drop=True)
        assert len(published) == len(expected)
        observed = expected[["y", "z", "w"]].notna()
        for column in ("y", "z", "w"):
            assert published[column].notna().all()
            kept = observed[column]
            assert (
                published.loc[kept, column].astype(object)
                == expected.loc[kept, column].astype(object)
            ).all()
        audit = warehouse.read(f"{table}_imputed_audit")
        assert len(audit) == int((~observed).to_numpy().sum())
    finally:
        for process in [*runs, *workers.values()]:
            stop(process)
        with warehouse.engine.begin() as conn:
            for name in (table, f"{table}_imputed", f"{table}_imputed_audit"):
                sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
        warehouse.close()


@pytest.mark.parametrize("url", ["duckdb:///{tmp}/warehouse.duckdb", "sqlite:///{tmp}/w.sqlite"])
def test_multi_host_executor_refuses_file_warehouse(url, tmp_path, monkeypatch):
    monkeypatch.setenv(URL_ENV, url.format(tmp=tmp_path))
    with pytest.raises(SingleHostStorage, match=r"table 't'.*'celery' executor.*PostgreSQL"):
        build_imputation_defs([table_spec("t")], executor=celery_executor)


def test_multi_host_executor_refuses_in_process_model_store(monkeypatch):
    monkeypatch.setenv(URL_ENV, "postgresql+psycopg://u:secret@db.example/w")  # never connected
    with pytest.raises(SingleHostStorage, match=r"model store 'memory://m' lives in one process"):
        build_imputation_defs([table_spec("t")], model_store="memory://m", executor=celery_executor)
    build_imputation_defs([table_spec("t")], executor=dg.multiprocess_executor)  # one host: fine
