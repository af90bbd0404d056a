"""Hostile identifiers are quoted, stored as names and never executed."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from tests.warehouse.conftest import staging_tables

COLUMNS = [
    "select",
    "at",
    "with space",
    'quo"te',
    "semi;colon",
    "ünïcødé",
    "back`tick",
    'x"; DROP TABLE t; --',
]


def test_hostile_names_work_everywhere(wh, drop_later, unique_name):
    canary = drop_later(f"{unique_name}_canary")
    hostile = drop_later(f'x"; DROP TABLE {canary}; -- {unique_name[-6:]}')
    table = sa.Table(
        hostile,
        sa.MetaData(),
        sa.Column("order", sa.Integer, primary_key=True, autoincrement=False),
        *(sa.Column(c, sa.Integer if i % 2 else sa.String(20)) for i, c in enumerate(COLUMNS)),
    )
    with wh.engine.begin() as conn:
        sa.Table(canary, sa.MetaData(), sa.Column("x", sa.Integer)).create(conn)
        table.create(conn)
        conn.execute(
            table.insert(),
            [
                {
                    "order": i,
                    **{
                        c: (None if (i + j) % 3 == 0 else (i if j % 2 else f"v{i}"))
                        for j, c in enumerate(COLUMNS)
                    },
                }
                for i in range(6)
            ],
        )
    assert wh.describe(hostile).column_names == ["order", *COLUMNS]
    profile = wh.profile(hostile, partition_column="semi;colon", empty_strings=True)
    frame = wh.read(hostile)
    assert profile.missing == frame.isna().sum().to_dict()
    assert wh.partitions(hostile, COLUMNS[0]) == sorted({f"v{i}" for i in range(6) if i % 3})

    filled = frame.copy()
    for j, column in enumerate(COLUMNS):
        filled[column] = filled[column].fillna(0 if j % 2 else "filled")
    part_value = frame[COLUMNS[0]].dropna().iloc[0]
    wh.publish(
        filled[filled[COLUMNS[0]] == part_value], hostile, partition=(COLUMNS[0], part_value)
    )
    wh.publish(filled, hostile)
    back = wh.read(hostile)
    assert not back.isna().any().any()
    assert pd.api.types.is_integer_dtype(back[COLUMNS[1]])
    with wh.engine.connect() as conn:
        tables = set(wh.dialect.table_names(conn, None))
    assert {canary, hostile} <= tables
    assert staging_tables(wh, hostile) == []
