"""A table declared without ``columns`` whose nullable columns include uuid, jsonb and arrays
materializes through Dagster first time: the numeric gaps filled, the odd columns passed through
and reported as left with the reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from impute_assets.dagster import build_imputation_defs
from impute_assets.pipeline.discovery import discover
from impute_assets.pipeline.spec import TableSpec
from impute_assets.warehouse import Warehouse
from tests.dagster.runs import materialize, reported
from tests.factories import TINY_MODEL, URL_ENV
from tests.pipeline.test_unsupported_columns import ROWS, _cells, _create


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
@pytest.mark.filterwarnings("ignore::impute_assets.warehouse.UnsupportedTypeWarning")
def test_discovered_table_with_unsupported_columns_materializes(
    engine, request, unique_name, tmp_path, monkeypatch
):
    url = request.getfixturevalue(f"{engine}_url")
    monkeypatch.setenv(URL_ENV, url)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    warehouse = Warehouse(url)
    names = [unique_name, f"{unique_name}_imputed", f"{unique_name}_imputed_audit"]
    try:
        odd = _create(warehouse, unique_name)
        spec = TableSpec(table=unique_name, url_env=URL_ENV, key=["id"], model=TINY_MODEL)
        discovery = discover([spec])
        defs = build_imputation_defs([spec], model_store=str(tmp_path / "m"), discovery=discovery)
        keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
        assert {k for k in keys if "/models/" in k} == {f"{unique_name}/models/y"}
        result = materialize(defs)
        assert result.success
        record = reported(result)[f"{unique_name}_imputed"]
        assert record.cells_filled == ROWS // 5
        assert record.cells_left == len(odd) * len(range(0, ROWS, 3))
        for column in odd:
            assert f"| {column} |" in str(record.columns)
        assert "is not imputed; passed through as read" in str(record.columns)
        assert _cells(warehouse, names[1], list(odd)) == _cells(warehouse, unique_name, list(odd))
    finally:
        with warehouse.engine.begin() as conn:
            for name in names:
                sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
        warehouse.close()
