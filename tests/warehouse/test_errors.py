"""Errors name the masked URL, the table and the column; passwords never appear."""

from __future__ import annotations

import uuid
import warnings

import pytest
import sqlalchemy as sa

from impute_assets.warehouse import (
    ColumnNotFound,
    PermissionDenied,
    TableNotFound,
    UnsupportedTypeWarning,
    Warehouse,
    mask_url,
)

#: A column type each engine has but the layer does not impute: read as text, written back as is.
UNSUPPORTED = {"duckdb": ("INTEGER[]", "[1, 2]"), "sqlite": ("JSON", '{"a": 1}'),
               "postgresql": ("JSONB", '{"a": 1}'), "mysql": ("YEAR", "2024")}


def test_masked_url_hides_the_password():
    url = "postgresql+psycopg://alice:s3cr%40t@db.example:5432/prod"
    assert "s3cr" not in mask_url(url) and "***" in mask_url(url)
    assert "s3cr" not in repr(Warehouse(url)) and "alice" in Warehouse(url).masked_url
    assert mask_url("not a url://bob:pw@host") == "not a url://bob:***@host"


def test_missing_table_and_column_are_named(wh, make_table):
    with pytest.raises(TableNotFound, match="no such table: table 'nope_"):
        wh.describe(f"nope_{uuid.uuid4().hex[:6]}")
    name = make_table()
    with pytest.raises(ColumnNotFound, match=f"column 'nope' of table '{name}'") as info:
        wh.read(name, columns=["id", "nope"])
    assert "qty" in str(info.value)  # lists the columns the table has
    with pytest.raises(ColumnNotFound, match="column 'nope'"):
        wh.profile(name, partition_column="nope")


def test_errors_show_the_masked_url(postgres_url):
    url = sa.make_url(postgres_url).set(password="s3cret-pw")  # trust auth ignores it
    wh = Warehouse(url)
    try:
        with pytest.raises(TableNotFound) as info:
            wh.read("no_such_table_here")
    finally:
        wh.close()
    assert "s3cret-pw" not in str(info.value) and "***" in str(info.value)


def test_unsupported_type_warns_and_passes_through(wh, drop_later, unique_name):
    sql_type, value = UNSUPPORTED[wh.dialect.name]
    name = drop_later(unique_name)
    q = wh.dialect.preparer.quote
    with wh.engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {q(name)} (id INTEGER, odd {sql_type})"))
        conn.execute(sa.text(f"INSERT INTO {q(name)} VALUES (1, '{value}'), (2, NULL)"))
    with pytest.warns(UnsupportedTypeWarning, match=f"column 'odd' of table '{name}'"):
        desc = wh.describe(name)
    assert desc.column("odd").kind == "unsupported"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedTypeWarning)
        frame = wh.read(name)
        wh.publish(frame, name)
        back = wh.read(name).sort_values("id")
    assert back["odd"].isna().tolist() == [False, True]
    assert back["odd"].iloc[0] == frame.sort_values("id")["odd"].iloc[0]


def test_permission_denied_names_the_table(postgres_url, unique_name):
    admin = sa.create_engine(postgres_url)
    role = f"ia_noperm_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE TABLE "{unique_name}" (id INTEGER)'))
        conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
    wh = Warehouse(sa.make_url(postgres_url).set(username=role))
    try:
        with pytest.raises(PermissionDenied, match=f"table '{unique_name}'"):
            wh.read(unique_name)
        with pytest.raises(PermissionDenied, match=f"table '{unique_name}'"):
            wh.profile(unique_name)
    finally:
        wh.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE "{unique_name}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()
