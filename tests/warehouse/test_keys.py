"""Declared keys on every engine: a repeated key, a NULL in a key column or a key column typo is
refused, by name."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import ColumnNotFound, KeyHasNull, KeyNotUnique


def _table_with_keys(wh, drop_later, name: str, keys: list[tuple[int, str | None]]) -> str:
    table = sa.Table(drop_later(name), sa.MetaData(), sa.Column("site", sa.Integer),
                     sa.Column("day%", sa.String(10)), sa.Column("x", sa.Float))  # fmt: skip
    with wh.engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"site": s, "day%": d, "x": float(i)}
                                      for i, (s, d) in enumerate(keys)])  # fmt: skip
    return name


def test_a_composite_key_is_unique_as_a_whole_though_its_parts_repeat(wh, drop_later, unique_name):
    name = _table_with_keys(wh, drop_later, unique_name, [(1, "a"), (1, "b"), (2, "a")])
    wh.check_key(name, ["site", "day%"])  # passes: every (site, day%) pair is one row
    for part in ("site", "day%"):
        with pytest.raises(KeyNotUnique, match=part):
            wh.check_key(name, [part])


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


def test_one_null_in_a_key_column_is_refused_naming_it(wh, drop_later, unique_name):
    """On every engine alike (DuckDB's output key would be NOT NULL; the others would publish
    a row no audit row can name)."""
    name = _table_with_keys(wh, drop_later, unique_name, [(1, None), (2, "a")])
    with pytest.raises(KeyHasNull, match=r"1 row\(s\) have NULL in key column 'day%'") as caught:
        wh.check_key(name, ["site", "day%"])
    assert (caught.value.table, caught.value.column) == (name, "day%")


def test_publishing_a_null_key_is_refused_before_any_table_is_made(wh, drop_later, unique_name):
    frame = pd.DataFrame({"id": pd.array([1, None, 3], dtype="Int64"), "x": [1.0, 2.0, 3.0]})
    name = drop_later(unique_name)
    with pytest.raises(KeyHasNull, match=f"NULL in key column 'id'.*table '{name}'"):
        wh.publish(frame, name, key=["id"])
    with wh.engine.connect() as conn:
        assert not wh.dialect.has_table(conn, name, None)


def test_key_column_typo_is_named(wh, drop_later, unique_name):
    name = _table_with_keys(wh, drop_later, unique_name, [(1, "a")])
    with pytest.raises(ColumnNotFound, match=r"key column not found .*'site'.*column 'sight'"):
        wh.check_key(name, ["sight"])
