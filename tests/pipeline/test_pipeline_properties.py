"""Property test of the default warehouse run: any small table of the property frames' column
types, published to each engine, runs through detect, train and fill (or is refused with a
clear error) with its rows, its observed cells and its column types kept. It found a one-column
PostgreSQL read that dropped NULL rows, uuids written as raw bytes, free-text columns that failed
their table, and MariaDB's unnamed refusal of infinities."""

from __future__ import annotations

import os
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.filling import NothingToFill
from impute_assets.store import ModelStore
from impute_assets.warehouse import PublishRefused
from tests.core.test_properties import frames
from tests.factories import TINY_MODEL


@settings(
    max_examples=int(os.environ.get("IMPUTE_ASSETS_HYPOTHESIS_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(frame=frames(), fill=st.sampled_from(["all", "confident"]))
def test_a_warehouse_run_keeps_rows_observed_cells_and_types(
    warehouse, tmp_path_factory, frame: pd.DataFrame, fill: str
) -> None:
    frame = frame.drop(columns=["objects"], errors="ignore").reset_index(drop=True)
    frame.insert(0, "id", np.arange(len(frame)))
    name = f"pp_{uuid.uuid4().hex[:10]}"
    spec = TableSpec(table=name, key=["id"], fill=fill, model=TINY_MODEL)
    try:
        if _has_infinity(frame) and not warehouse.dialect.stores_infinity:
            with pytest.raises(PublishRefused, match="infinite value"):  # MySQL/MariaDB, named
                warehouse.publish(frame, name)
            return
        warehouse.publish(frame, name)
        source = warehouse.read(name).sort_values("id").reset_index(drop=True)
        run = TableRun(spec, warehouse, ModelStore(str(tmp_path_factory.mktemp("models"))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            columns = run.columns(run.detect())
            if not columns:
                return
            run.train_or_reuse(columns)
            try:
                run.fill_and_publish(columns)
            except NothingToFill:
                return
        output = warehouse.read(spec.output_name).sort_values("id").reset_index(drop=True)
        assert len(output) == len(source)
        for column in source.columns:
            observed = source[column].notna().to_numpy()
            assert output[column][observed].tolist() == source[column][observed].tolist(), column
            assert output[column].dtype == source[column].dtype, column
    finally:
        with warehouse.engine.begin() as conn:
            for table in (name, spec.output_name, spec.audit_name):
                conn.execute(
                    sa.text(f"DROP TABLE IF EXISTS {warehouse.dialect.qualified(table, None)}")
                )


def _has_infinity(frame: pd.DataFrame) -> bool:
    numbers = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    return any(np.isinf(frame[c].to_numpy(dtype=float, na_value=np.nan)).any() for c in numbers)
