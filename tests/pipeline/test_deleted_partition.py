"""A partition whose source rows are all deleted leaves the output: its fill deletes the
partition's output and audit rows in one transaction (a direct fill, and ``TableRun.run``, which
fills the output's partitions gone from the source too), on DuckDB, PostgreSQL and MariaDB."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from impute_assets.pipeline import TableRun, TableSpec
from impute_assets.pipeline.filling import NothingToFill
from impute_assets.pipeline.partitions import NULL_KEY
from impute_assets.store import ModelStore
from impute_assets.warehouse import Warehouse
from tests.factories import sample_frame, table_spec

PARTS = np.array(["a", "b", "c", None], dtype=object)


def _delete(warehouse: Warehouse, table: str, where: str) -> None:
    with warehouse.engine.begin() as conn:
        conn.execute(sa.text(f"DELETE FROM {warehouse.dialect.qualified(table, None)} {where}"))


def test_deleted_partitions_leave_the_output(warehouse, unique_name, tmp_path):
    frame = sample_frame(rows=160).drop(columns=["month"])
    frame.insert(1, "part", np.resize(PARTS, len(frame)))
    warehouse.publish(frame, unique_name)
    spec = TableSpec.parse(
        table_spec(
            unique_name, exclude=[], partition={"column": "part", "kind": "dynamic"}, fill="all"
        )
    )
    run = TableRun(spec, warehouse, ModelStore(str(tmp_path / "models")))
    first = run.run()
    audited = {f.partition: f.cells_filled for f in first.fills}
    assert len(warehouse.read(spec.output_name)) == 160 and all(audited.values())

    _delete(warehouse, unique_name, "WHERE part = 'b'")
    with pytest.raises(NothingToFill) as gone:
        run.fill_and_publish(["y", "z", "w"], "b")
    assert gone.value.removed == (40, audited["b"])
    assert f"its 40 output rows and {audited['b']} audit rows were deleted" in str(gone.value)
    assert run.partition_keys() == ["__null__", "a", "c"]

    _delete(warehouse, unique_name, "WHERE part IS NULL")
    assert run.partition_keys() == ["a", "c", NULL_KEY]  # gone from the source, still published
    second = run.run()
    assert sorted(f.partition for f in second.fills) == ["a", "c"]
    output = warehouse.read(spec.output_name)
    assert sorted(output["id"]) == sorted(frame[frame["part"].isin(["a", "c"])]["id"])
    audit = warehouse.read(spec.audit_name)
    assert sorted(set(audit["partition"])) == ["a", "c"]
    assert len(audit) == sum(f.cells_filled for f in second.fills)
    assert run.partition_keys() == ["a", "c"]
