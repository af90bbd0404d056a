"""Monthly time-window partitions on DuckDB: the sensor finds the months with rows, each run
fills and checks just its month; rows no window covers (NULL, before ``start``, mid-month, far
future) are named with their count in the sensor's skip reason and kept in its cursor."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pandas as pd

from impute_assets.dagster import build_imputation_defs
from impute_assets.dagster.sensor import PARTITION_SENSOR
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import check_evaluations, materialize, sensor_of
from tests.factories import sample_frame, table_spec

MONTHS = ["2013-01-01", "2013-02-01"]
#: Values no monthly window from 2013-01-01 covers, 5 rows each.
OUTSIDE = [None, date(2012, 12, 1), date(2013, 1, 15), date(2999, 1, 1)]


def _monthly(rows: int, seed: int, months: tuple[int, ...]) -> pd.DataFrame:
    frame = sample_frame(rows=rows, seed=seed, months=months)
    return frame.assign(month_start=[date(2013, m, 1) for m in frame["month"]])


def test_monthly_partitions_end_to_end(warehouse_url, unique_name, tmp_path):
    warehouse = Warehouse(warehouse_url)
    source = _monthly(160, 0, (1, 2))
    outside = _monthly(20, 9, (1,)).assign(month_start=OUTSIDE * 5)
    warehouse.publish(pd.concat([source, outside], ignore_index=True), unique_name)
    spec = table_spec(  # fill: all, so every check has fills to look at (w is noise)
        unique_name,
        partition={"column": "month_start", "kind": "monthly", "start": "2013-01-01"},
        fill="all",
    )
    defs = build_imputation_defs([spec], model_store=str(tmp_path / "models"))
    imputed = dg.AssetKey(f"{unique_name}_imputed")
    assert isinstance(
        defs.resolve_assets_def(imputed).partitions_def, dg.MonthlyPartitionsDefinition
    )
    instance = dg.DagsterInstance.ephemeral()
    sensor = sensor_of(defs, PARTITION_SENSOR)

    def tick(cursor: str | None) -> dg.SensorResult:
        with dg.build_sensor_context(
            instance=instance, cursor=cursor, resources=defs.resources, definitions=defs
        ) as context:
            return sensor.evaluate_tick(context)

    untrained = tick(None)  # no model yet: their training run first, no fill
    assert [r.partition_key for r in untrained.run_requests] == [None]
    materialize(defs, f"key:{unique_name}/models/*", instance=instance)
    first = tick(untrained.cursor)
    assert [r.partition_key for r in first.run_requests] == MONTHS
    for month in MONTHS:
        run = materialize(
            defs,
            dg.AssetSelection.assets(imputed) | dg.AssetSelection.checks_for_assets(imputed),
            partition_key=month,
            instance=instance,
        )
        assert run.success and check_evaluations(run)["expectations"].passed
        published = warehouse.read(imputed.path[-1], partition=("month_start", month))
        expected = source[source["month_start"] == date.fromisoformat(month)]
        assert sorted(published["id"]) == sorted(expected["id"])
        assert published[["y", "z", "w"]].notna().to_numpy().sum() > (
            expected[["y", "z", "w"]].notna().to_numpy().sum()
        )
    assert len(warehouse.read(imputed.path[-1])) == len(source)

    warehouse.publish(_monthly(40, 5, (3,)), unique_name, partition=("month_start", "2013-03-01"))
    third = tick(first.cursor)
    assert [r.partition_key for r in third.run_requests] == ["2013-03-01"]
    idle = tick(third.cursor)
    assert not idle.run_requests
    assert (
        "20 row(s) are in no monthly partition window of column 'month_start'" in idle.skip_message
    )
    assert "2012-12-01: 5, 2013-01-15: 5, 2999-01-01: 5, NULL: 5" in idle.skip_message
    assert '"__null__": 5' in idle.cursor and '"2013-01-15": 5' in idle.cursor
