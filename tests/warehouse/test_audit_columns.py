"""Audit tables carry each fill's interval or prediction set; an audit table written before
those columns existed gets them on its next publish, and its rows stay readable."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import sqlalchemy as sa

from impute_assets.warehouse import AUDIT_COLUMNS, audit_frame
from impute_assets.warehouse.audit import ADDED_COLUMNS, audit_table
from tests.warehouse.conftest import DAYS
from tests.warehouse.test_publish import filled


def _cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [0, 1],
            "column": ["qty", "city"],
            "value": [7.0, "Oslo"],
            "confidence": [0.9, 0.6],
            "model_version": ["abc123", "def456"],
            "lower": ["5.0", None],
            "upper": ["9.0", None],
            "prediction_set": [None, ("Oslo", "Bergen")],
        }
    )


def _old_audit_table(name: str) -> sa.Table:
    """The audit table as releases before intervals created it."""
    table = audit_table(name)
    return sa.Table(
        name,
        sa.MetaData(),
        *(
            sa.Column(c.name, c.type, nullable=c.nullable)
            for c in table.columns
            if c.name not in ADDED_COLUMNS
        ),
    )


def test_an_older_audit_table_gains_the_interval_columns(wh, make_table, drop_later):
    name = make_table()
    audit_name = drop_later(f"{name}_audit")
    day = DAYS[0].isoformat()
    with wh.engine.begin() as conn:
        _old_audit_table(audit_name).create(conn)
        conn.execute(
            _old_audit_table(audit_name).insert(),
            [
                {
                    "run_id": "old",
                    "table_name": name,
                    "partition": DAYS[1].isoformat(),
                    "row_key": '{"id": 99}',
                    "column_name": "qty",
                    "imputed_value": "3.0",
                    "confidence": 0.5,
                    "model_version": "v0",
                    "imputed_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                }
            ],
        )
    frame = filled(wh.read(name, partition=("day", day)))
    audit = audit_frame(_cells(), frame, ["id"], run_id="new", table=name, partition=day)
    wh.publish(frame, name, partition=("day", day), audit=audit, audit_table=audit_name)

    rows = wh.read(audit_name)
    assert set(AUDIT_COLUMNS) == set(rows.columns)
    old = rows[rows["run_id"] == "old"]  # another partition's row: kept, with no interval
    assert len(old) == 1 and old[list(ADDED_COLUMNS)].isna().all(axis=None)
    new = rows[rows["run_id"] == "new"].set_index("column_name")
    assert (new.loc["qty", "lower"], new.loc["qty", "upper"]) == ("5.0", "9.0")
    assert pd.isna(new.loc["qty", "prediction_set"])
    assert json.loads(new.loc["city", "prediction_set"]) == ["Oslo", "Bergen"]
