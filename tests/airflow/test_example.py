"""The example DAG file parses in Airflow, schedules as the README says, and stays light."""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import PartitionedAssetTimetable

from impute_assets.airflow import imputed_asset, source_asset
from impute_assets.pipeline import TableSpec

EXAMPLES = Path(__file__).parents[2] / "examples" / "airflow"


def _example_dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(EXAMPLES))
    assert not bag.import_errors, bag.import_errors
    return bag.dags


def test_example_flights_dag_runs_on_new_data_in_the_source_table_asset():
    dags = _example_dags()
    assert set(dags) == {"impute_flights", "impute_weather"}
    flights = dags["impute_flights"]
    impute = flights.get_task("impute")
    assert isinstance(flights.timetable, PartitionedAssetTimetable)
    spec = TableSpec.parse({**impute.spec_data, "table": impute.table})
    assert flights.timetable.asset_condition == source_asset(spec, "warehouse")
    assert impute.outlets == [imputed_asset(spec, "warehouse")]


def test_example_weather_dag_trains_on_the_gpu_queue_and_fills_after():
    weather = _example_dags()["impute_weather"]
    train, fill = weather.get_task("train"), weather.get_task("fill")
    assert train.queue == "gpu" and fill.queue != "gpu"
    assert fill.upstream_task_ids == {"train"}
    assert train.outlets == [] and fill.outlets  # only the fill publishes the table


def test_parsing_a_dag_file_loads_no_torch_great_expectations_or_dagster(imported_modules):
    # Airflow parses DAG files again and again: the provider must stay light to import.
    loaded = imported_modules(f"import runpy; runpy.run_path({str(EXAMPLES / 'impute_dag.py')!r})")
    assert "impute_assets.airflow" in loaded
    heavy = {m for m in loaded if m.split(".")[0] in {"torch", "great_expectations", "dagster"}}
    assert not heavy, sorted(heavy)[:5]
