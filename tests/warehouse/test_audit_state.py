"""The audit table holds the current state: one row per cell imputed in the published table now.

A republish replaces the audit rows of what it replaced (the whole table, or one partition);
a refused publish leaves no audit table behind.
"""

from __future__ import annotations

import pandas as pd
import pytest

from impute_assets.warehouse import audit_frame
from tests.warehouse.conftest import DAYS


def _cells(frame: pd.DataFrame, table: str, run_id: str, partition: str | None = None):
    rows = list(frame.index[:3])
    cells = pd.DataFrame(
        {
            "row": rows,
            "column": ["qty"] * 3,
            "value": [1.0, 2.0, 3.0],
            "confidence": [0.5] * 3,
            "model_version": ["v1"] * 3,
        }
    )
    return audit_frame(cells, frame, ["id"], run_id=run_id, table=table, partition=partition)


def test_republishing_the_table_replaces_its_audit_rows(wh, make_table, drop_later):
    name = make_table()
    audit_name = drop_later(f"{name}_audit")
    frame = wh.read(name)
    for run in ("run-1", "run-2"):
        result = wh.publish(frame, name, audit=_cells(frame, name, run), audit_table=audit_name)
    audit = wh.read(audit_name)
    assert len(audit) == result.audit_rows == 3
    assert set(audit["run_id"]) == {"run-2"}


def test_republishing_a_partition_replaces_only_its_audit_rows(wh, make_table, drop_later):
    name = make_table()
    audit_name = drop_later(f"{name}_audit")
    days = [DAYS[0].isoformat(), DAYS[1].isoformat()]
    for run, day in (("run-1", days[0]), ("run-2", days[1]), ("run-3", days[0])):
        part = wh.read(name, partition=("day", day))
        wh.publish(
            part,
            name,
            partition=("day", day),
            audit=_cells(part, name, run, day),
            audit_table=audit_name,
        )
    audit = wh.read(audit_name)
    assert sorted(zip(audit["partition"], audit["run_id"], strict=True)) == sorted(
        [(days[0], "run-3")] * 3 + [(days[1], "run-2")] * 3
    )


def test_a_refused_publish_leaves_no_audit_table(wh, make_table, drop_later):
    name = make_table()
    audit_name = drop_later(f"{name}_audit")
    frame = wh.read(name)

    def refuse(staging):
        raise ValueError("blocked")

    with pytest.raises(ValueError, match="blocked"):
        wh.publish(
            frame, name, validate=refuse, audit=_cells(frame, name, "r"), audit_table=audit_name
        )
    with wh.engine.connect() as conn:
        assert not wh.dialect.has_table(conn, audit_name, None)
