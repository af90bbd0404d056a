"""nycflights13 kept complete by Airflow 3: the same two tables as the Dagster demo.

- ``impute_flights`` runs whenever a loader announces new rows in a month of ``flights``
  (``outlet_events[flights_source].add_partitions("3")`` in the loader's task): the source
  table's asset schedules it, and it fills just that month (its run's ``partition_key``).
- ``impute_weather`` trains the weather models on a GPU worker (queue ``gpu``) and fills on
  the CPU workers, daily. Models are reused while their fingerprint matches and their inputs
  have not drifted; ``force_retrain=True`` on the training task always retrains.

The warehouse is the Airflow connection ``warehouse`` (any SQLAlchemy database:
``AIRFLOW_CONN_WAREHOUSE='postgres://etl:...@db:5432/analytics'`` or
``'duckdb:////data/warehouse.duckdb'``); models go to ``$IMPUTE_ASSETS_MODEL_STORE`` (a folder
or fsspec URL every worker reaches, e.g. ``s3://bucket/models``).
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG

from impute_assets.airflow import (
    GPU_QUEUE,
    FillTableOperator,
    ImputeTableOperator,
    TrainModelsOperator,
    on_new_data,
)
from impute_assets.pipeline import TableSpec

CONN_ID = "warehouse"
MODEL_STORE = os.environ.get("IMPUTE_ASSETS_MODEL_STORE", "models")
START = pendulum.datetime(2026, 1, 1, tz="UTC")

FLIGHTS = TableSpec(
    table="flights",
    partition={"column": "month", "kind": "dynamic"},
    key=["year", "month", "day", "carrier", "flight", "origin"],
    columns=["arr_delay", "air_time"],
    # A cancelled flight has no departure, arrival, delay or air time: structural gaps.
    skip=["dep_time", "dep_delay", "arr_time"],
    structural=[{"when_missing": "dep_time", "columns": ["arr_delay", "air_time"]}],
    exclude=["year"],
)
WEATHER = TableSpec(
    table="weather",
    key=["origin", "time_hour"],
    group_by="origin",
    order_by="time_hour",
    columns=["temp", "dewp", "humid", "wind_dir", "wind_speed", "pressure"],
    exclude=["year", "wind_gust"],
    confidence=0.2,
    validation={"tolerances": {"allowed_missing": 0.01}},
)

with DAG(
    "impute_flights",
    schedule=on_new_data(FLIGHTS, CONN_ID),
    start_date=START,
    catchup=False,
    tags=["impute_assets"],
):
    ImputeTableOperator(task_id="impute", spec=FLIGHTS, conn_id=CONN_ID, model_store=MODEL_STORE)

with DAG(
    "impute_weather", schedule="@daily", start_date=START, catchup=False, tags=["impute_assets"]
):
    train = TrainModelsOperator(
        task_id="train",
        spec=WEATHER,
        conn_id=CONN_ID,
        model_store=MODEL_STORE,
        queue=GPU_QUEUE,
        device="auto",
    )
    fill = FillTableOperator(
        task_id="fill", spec=WEATHER, conn_id=CONN_ID, model_store=MODEL_STORE, device="cpu"
    )
    train >> fill
