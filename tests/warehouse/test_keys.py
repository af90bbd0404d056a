"""Declared keys on every engine: a repeated key or a key column typo is refused, by name."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from impute_assets.warehouse import ColumnNotFound, KeyNotUnique


def _table_with_keys(wh, drop_later, name: str, keys: list[tuple[int, str | None]]) -> str:
    table = sa.Table(drop_later(name), sa.MetaData(), sa.Column("site", sa.Integer),
                     sa.Column("day%", sa.String(10)), sa.Column("x", sa.Float))  # fmt: skip
    with wh.engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"site": s, "day%": d, "x": float(i)}
                                      for i, (s, d) in enumerate(keys)])  # fmt: skip
    return name


def test_unique_composite_key_passes(wh, drop_later, unique_name):
    name = _table_with_keys(wh, drop_later, unique_name, [(1, "a"), (1, "b"), (2, "a")])
    wh.check_key(name, ["site", "day%"])


def test_repeated_key_is_refused_naming_table_key_and_example(wh, drop_later, unique_name):
    keys = [(1, "a"), (2, "b"), (2, "b"), (2, "b"), (3, "c"), (3, "c"), (4, "d")]
    name = _table_with_keys(wh, drop_later, unique_name, keys)
    with pytest.raises(KeyNotUnique) as caught:
        wh.check_key(name, ["site", "day%"])
    error = caught.value
    assert (error.table, error.repeated, error.rows) == (name, 2, 3)
    assert error.example == {"site": 2, "day%": "b"}
    assert name in str(error) and "['site', 'day%']" in str(error) and "'b'" in str(error)
    wh.check_key(name, ["x"])  # the same rows have a unique column


def test_null_keys_count_as_repeated(wh, drop_later, unique_name):
    name = _table_with_keys(wh, drop_later, unique_name, [(1, None), (1, None), (2, "a")])
    with pytest.raises(KeyNotUnique, match="None"):
        wh.check_key(name, ["site", "day%"])


def test_key_column_typo_is_named(wh, drop_later, unique_name):
    name = _table_with_keys(wh, drop_later, unique_name, [(1, "a")])
    with pytest.raises(ColumnNotFound, match=r"key column not found .*'site'.*column 'sight'"):
        wh.check_key(name, ["sight"])
