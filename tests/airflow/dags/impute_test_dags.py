"""DAGs the Airflow tests run with ``dag.test()``, parsed by Airflow from this folder.

The table (a TableSpec as JSON), the model store and the connection come from env vars the
tests set, so every test has its own table.
"""

from __future__ import annotations

import json
import os

import pendulum
from airflow.sdk import DAG, task

from impute_assets.airflow import (
    GPU_QUEUE,
    FillTableOperator,
    ImputeTableOperator,
    TrainModelsOperator,
    on_new_data,
    source_asset,
)
from impute_assets.pipeline import TableSpec

SPEC = TableSpec.parse(
    json.loads(
        os.environ.get("IMPUTE_ASSETS_AIRFLOW_TEST_SPEC", '{"table": "readings", "key": ["id"]}')
    )
)
STORE = os.environ.get("IMPUTE_ASSETS_AIRFLOW_TEST_STORE", "models")
CONN = "test_warehouse"
START = pendulum.datetime(2026, 1, 1, tz="UTC")
OPTIONS = {"spec": SPEC, "conn_id": CONN, "model_store": STORE}

with DAG("impute_one_task", schedule=None, start_date=START, catchup=False):
    ImputeTableOperator(
        task_id="impute",
        table="{{ dag_run.conf['table'] }}",
        **OPTIONS,
        partition="{{ dag_run.conf.get('partition', '') }}",
    )

with DAG("impute_dry_run", schedule=None, start_date=START, catchup=False):
    ImputeTableOperator(task_id="impute", **OPTIONS, dry_run=True)

with DAG("impute_two_tasks", schedule=None, start_date=START, catchup=False):
    train = TrainModelsOperator(task_id="train", queue=GPU_QUEUE, **OPTIONS)
    fill = FillTableOperator(
        task_id="fill", **OPTIONS, partition="{{ dag_run.conf.get('partition', '') }}"
    )
    train >> fill

with DAG("impute_on_new_data", schedule=on_new_data(SPEC, CONN), start_date=START, catchup=False):
    ImputeTableOperator(
        task_id="impute", **OPTIONS, partition="{{ dag_run.conf.get('partition', '') }}"
    )

with DAG("load_rows", schedule=None, start_date=START, catchup=False):

    @task(outlets=[source_asset(SPEC, CONN)])
    def announce(**context) -> None:
        """Stands for a loader that has just written rows into partition ``conf.partition``."""
        partition = context["dag_run"].conf["partition"]
        context["outlet_events"][source_asset(SPEC, CONN)].add_partitions(partition)

    announce()
