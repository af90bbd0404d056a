"""A ``%`` in a table or column name reaches that table, never a bystander named with ``%%``
(drivers with ``format`` placeholders escape ``%`` once; ``sa.text()`` would do it again)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import PublishRefused, audit_frame
from tests.warehouse.conftest import staging_tables

COLUMNS = ("c%x", "c%%x")


def _table(name: str) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Integer),
        *(sa.Column(c, sa.Double) for c in COLUMNS),
    )


def _make(wh, name: str, offset: int) -> None:
    with wh.engine.begin() as conn:
        _table(name).create(conn)
        conn.execute(
            _table(name).insert(),
            [
                {"id": i, "day": i % 2, "c%x": None if i == 0 else offset + i, "c%%x": -offset - i}
                for i in range(4)
            ],
        )


def _rows(wh, name: str) -> list[tuple]:
    with wh.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(_table(name)).order_by("id"))]


def test_percent_names_hit_only_their_own_table(wh, drop_later, unique_name):
    name, bystander = drop_later(f"{unique_name}p%x"), drop_later(f"{unique_name}p%%x")
    _make(wh, name, 100)
    _make(wh, bystander, 200)
    untouched = _rows(wh, bystander)

    assert wh.describe(name).column_names == ["id", "day", *COLUMNS]
    frame = wh.read(name)
    assert frame["c%x"].tolist()[1:] == [101, 102, 103]  # read: its own rows
    assert wh.profile(name, partition_column="day").missing["c%x"] == 1
    assert wh.partitions(name, "day") == ["0", "1"]

    filled = frame.fillna({"c%x": 0.5})
    audit_name = drop_later(f"{unique_name}a%x")
    audit_bystander = drop_later(f"{unique_name}a%%x")
    _make(wh, audit_bystander, 300)
    cells = pd.DataFrame(
        {"row": [0], "column": ["c%x"], "value": [0.5], "confidence": [0.9], "model_version": ["v"]}
    )
    wh.publish(
        filled,
        name,
        audit=audit_frame(cells, filled, ["id"], run_id="r", table=name),
        audit_table=audit_name,
    )  # full replace + audit
    wh.publish(filled[filled["day"] == 0], name, partition=("day", 0))  # partition replace
    assert _rows(wh, name)[0][2] == 0.5
    assert len(wh.read(audit_name)) == 1

    new, new_bystander = drop_later(f"{unique_name}q%x"), drop_later(f"{unique_name}q%%x")
    _make(wh, new_bystander, 400)
    new_untouched = _rows(wh, new_bystander)

    def refuse(staging) -> None:
        raise PublishRefused("no", url="-", schema=None, table=new)

    with pytest.raises(PublishRefused):  # a refused first publish drops only its staging
        wh.publish(filled, new, like=name, validate=refuse)
    wh.publish(filled, new, like=name)  # create from the source's DDL
    assert _rows(wh, new) == _rows(wh, name)
    wh.sweep_staging()

    assert _rows(wh, bystander) == untouched
    assert _rows(wh, new_bystander) == new_untouched
    assert len(_rows(wh, audit_bystander)) == 4
    assert staging_tables(wh, name) == staging_tables(wh, new) == []
