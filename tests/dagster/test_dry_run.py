"""The imputed-table asset's ``dry_run`` run config: observed, not materialized; nothing
published; the would-be fills in the preview table. A real run reports each column's coverage."""

from __future__ import annotations

import sqlalchemy as sa

from impute_assets.dagster import ImputationMetadata, build_imputation_defs
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import check_evaluations, materialize, reported
from tests.factories import sample_frame, table_spec


def _exists(warehouse: Warehouse, name: str) -> bool:
    with warehouse.engine.connect() as conn:
        return warehouse.dialect.has_table(conn, name, None)


def test_dry_run_config_publishes_nothing(warehouse_url, unique_name, tmp_path):
    warehouse = Warehouse(warehouse_url)
    warehouse.publish(sample_frame(rows=120), unique_name)
    defs = build_imputation_defs([table_spec(unique_name)], model_store=str(tmp_path / "models"))
    imputed = f"{unique_name}_imputed"
    try:
        dry = materialize(
            defs, run_config={"ops": {f"{unique_name}__imputed": {"config": {"dry_run": True}}}}
        )
        assert dry.success
        assert imputed not in reported(dry)  # no materialization of the table
        (observation,) = [
            e for e in dry.get_asset_observation_events() if e.asset_key.to_user_string() == imputed
        ]
        record = ImputationMetadata.from_metadata(
            observation.asset_observation_data.asset_observation.metadata
        )
        assert record.dry_run and record.preview_table == f"{imputed}__preview"
        assert record.cells_filled == len(warehouse.read(f"{imputed}__preview")) > 0
        assert not _exists(warehouse, imputed) and not _exists(warehouse, f"{imputed}_audit")
        assert "expectations" not in check_evaluations(dry)  # its subject was not published

        real = materialize(defs)
        coverage = reported(real)[imputed].coverage
        assert coverage["y"]["coverage"] == 0.9 and coverage["y"]["width_to_spread"] > 0
        assert coverage["z"]["mean_set_size"] > 0  # sets may be empty (conformal.py)
        assert "| coverage | held-out coverage |" in str(reported(real)[imputed].columns)
    finally:
        with warehouse.engine.begin() as conn:
            for name in (unique_name, imputed, f"{imputed}_audit", f"{imputed}__preview"):
                sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
        warehouse.close()
