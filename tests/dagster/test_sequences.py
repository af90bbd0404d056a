"""Sequence tables through Dagster: models see time neighbours, and a new partition's first
rows see the last rows of the previous partition (read from the warehouse as context)."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd

from impute_assets.dagster import TableSpec, build_imputation_defs
from impute_assets.pipeline.filling import BOUNDARY_ROWS, boundary_rows
from impute_assets.pipeline.plan import sequence_of
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import materialize
from tests.factories import TINY_MODEL, URL_ENV


def readings(days: int = 3, per_day: int = 40) -> pd.DataFrame:
    """Two stations' smooth hourly temperature, partitioned by day, with gaps."""
    rng = np.random.default_rng(0)
    frames = []
    for station, offset in (("north", 0.0), ("south", 5.0)):
        hours = np.arange(days * per_day)
        frames.append(
            pd.DataFrame(
                {
                    "station": station,
                    "at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(hours, unit="h"),
                    "day": (hours // per_day).astype("int64"),
                    "temp": offset + np.sin(hours / 12) + rng.normal(0, 0.05, len(hours)),
                    "humid": 50 + 10 * np.cos(hours / 12),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["temp"] = frame["temp"].mask(rng.random(len(frame)) < 0.15)
    return frame


def spec(table: str) -> dict:
    return {
        "table": table,
        "url_env": URL_ENV,
        "key": ["station", "at"],
        "columns": ["temp"],
        "order_by": "at",
        "group_by": "station",
        "partition": {"column": "day", "kind": "dynamic"},
        "model": dict(TINY_MODEL),
    }


def test_boundary_rows_are_the_previous_partitions_tail_per_group(warehouse_url, unique_name):
    warehouse = Warehouse(warehouse_url)
    warehouse.publish(readings(), unique_name)
    table = TableSpec.parse(spec(unique_name))
    assert boundary_rows(table, warehouse, ("day", "0")) is None
    tail = boundary_rows(table, warehouse, ("day", "2"))
    assert set(tail["day"]) == {1}
    assert tail.groupby("station").size().to_dict() == {
        "north": BOUNDARY_ROWS,
        "south": BOUNDARY_ROWS,
    }
    assert tail.groupby("station")["at"].min().min() > pd.Timestamp("2024-01-02", tz="UTC")


def test_sequence_models_fill_partitions_and_record_their_order(
    warehouse_url, unique_name, tmp_path
):
    warehouse = Warehouse(warehouse_url)
    source = readings()
    warehouse.publish(source, unique_name)
    defs = build_imputation_defs([spec(unique_name)], model_store=str(tmp_path / "models"))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(f"{unique_name}__partitions", ["0", "1", "2"])
    materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    stored = ModelStore(str(tmp_path / "models"))
    model = stored.load(unique_name, "temp", stored.latest(unique_name, "temp").version)
    assert model.sequence is not None and model.sequence.order_by == "at"
    assert sequence_of(TableSpec.parse(spec(unique_name))).group_by == ("station",)

    imputed = dg.AssetKey(f"{unique_name}_imputed")
    run = materialize(defs, dg.AssetSelection.assets(imputed), partition_key="2", instance=instance)
    assert run.success
    published = warehouse.read(imputed.path[-1], partition=("day", "2"))
    day = source[source["day"] == 2]
    assert len(published) == len(day) and published["temp"].notna().all()
    merged = day.merge(published, on=["station", "at"], suffixes=("", "_out"))
    observed = merged["temp"].notna()
    assert (merged.loc[observed, "temp"] == merged.loc[observed, "temp_out"]).all()
