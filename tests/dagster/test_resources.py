"""Resources open one engine per step or tick, share it, and dispose of it afterwards."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from impute_assets.dagster import WarehouseResource


def test_one_engine_per_resource_disposed_when_the_step_ends(duckdb_url):
    disposed: list[sa.Engine] = []
    with dg.build_resources({"warehouse": WarehouseResource(url=duckdb_url)}) as resources:
        warehouse = resources.warehouse.get_warehouse()
        assert resources.warehouse.get_warehouse() is warehouse  # every table shares it
        sa.event.listen(warehouse.engine, "engine_disposed", disposed.append)
    assert disposed == [warehouse.engine]


def test_the_resource_outside_dagster_says_what_to_use(duckdb_url):
    with pytest.raises(RuntimeError, match="opened by Dagster for each step or sensor tick"):
        WarehouseResource(url=duckdb_url).get_warehouse()
