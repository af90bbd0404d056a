"""Errors name the masked URL, the table and the column; passwords never appear."""

from __future__ import annotations

import uuid
import warnings

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import (
    ColumnNotFound,
    ConnectionFailed,
    PermissionDenied,
    PublishRefused,
    TableNotFound,
    UnreadableValue,
    UnsupportedTypeWarning,
    Warehouse,
    mask_url,
)

#: A column type each engine has but the layer does not impute: read as text, written back as is.
UNSUPPORTED = {
    "duckdb": ("INTEGER[]", "[1, 2]"),
    "sqlite": ("JSON", '{"a": 1}'),
    "postgresql": ("JSONB", '{"a": 1}'),
    "mysql": ("YEAR", "2024"),
}


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


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_a_failed_connection_is_one_line_naming_table_url_and_env(server, request):
    url = sa.make_url(request.getfixturevalue(f"{server}_url"))
    bad = url.set(username="ia_nobody", password="s3cret-pw")  # no such login
    wh = Warehouse(bad, url_env="ORDERS_WAREHOUSE_URL")
    with pytest.raises(ConnectionFailed) as info:
        wh.read("orders")
    message = str(info.value)
    assert "\n" not in message and info.value.__cause__ is None and info.value.__suppress_context__
    assert "table 'orders'" in message and "ORDERS_WAREHOUSE_URL" in message
    assert "ia_nobody:***@" in message and "s3cret" not in message
    with pytest.raises(ConnectionFailed, match="table 'orders_out'"):
        wh.publish(pd.DataFrame({"x": [1]}), "orders_out")


def test_an_unencoded_at_sign_does_not_leak_the_password():
    url = "postgresql+psycopg://alice:p@ss@w0rdTAIL@127.0.0.1:1/test"
    wh = Warehouse(url)
    assert wh.masked_url == "postgresql+psycopg://alice:***@127.0.0.1:1/test"
    assert mask_url(url) == wh.masked_url
    with pytest.raises(ConnectionFailed) as info:  # nothing listens on port 1
        wh.describe("orders")
    assert "TAIL" not in str(info.value) and "w0rd" not in str(info.value)


def test_staging_repr_hides_the_password(postgres_url, unique_name):
    wh = Warehouse(sa.make_url(postgres_url).set(password="s3cret-pw"))  # trust auth ignores it
    seen = []
    try:
        wh.publish(pd.DataFrame({"x": [1.0]}), unique_name, validate=lambda s: seen.append(repr(s)))
    finally:
        with wh.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{unique_name}"')
        wh.close()
    assert "s3cret" not in seen[0] and "***" in seen[0]


def test_a_name_too_long_for_postgres_is_refused_before_anything_is_made(postgres_url):
    wh = Warehouse(postgres_url)
    name = "imputed_" + "x" * 60
    try:
        with pytest.raises(PublishRefused, match="68 bytes long and postgresql allows 63"):
            wh.check_name(name)
        with pytest.raises(PublishRefused, match=f"table '{name}'"):
            wh.publish(pd.DataFrame({"x": [1.0]}), name)
        with wh.engine.connect() as conn:
            assert not wh.dialect.has_table(conn, name[:63], None)
    finally:
        wh.close()


@pytest.mark.parametrize("with_bytes", [False, True], ids=["copy", "cursor"])
@pytest.mark.parametrize(
    ("sql_type", "value"),
    [
        ("date", "infinity"),
        ("date", "0044-03-15 BC"),
        ("timestamp", "10000-01-01"),
        ("numeric(10, 2)", "NaN"),
    ],
)
def test_values_without_a_pandas_form_name_table_and_column(
    postgres_url, unique_name, sql_type, value, with_bytes
):
    wh = Warehouse(postgres_url)
    extra = ", raw bytea" if with_bytes else ""
    try:
        with wh.engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE TABLE "{unique_name}" (id int, odd {sql_type}{extra})')
            conn.exec_driver_sql(
                f"INSERT INTO \"{unique_name}\" (id, odd) VALUES (1, NULL), (2, '{value}')"
            )
        with pytest.raises(UnreadableValue, match=f"table '{unique_name}'") as info:
            wh.read(unique_name)
        if not with_bytes:  # COPY's CSV names the column and the value
            assert f"column 'odd' of table '{unique_name}'" in str(info.value)
            assert value.split()[0].lower() in str(info.value).lower()
    finally:
        with wh.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{unique_name}"')
        wh.close()


def test_backtick_names_are_validated_as_frames_on_mysql(wh, drop_later, unique_name):
    name = drop_later(unique_name)
    wh.publish(pd.DataFrame({"id": [1, 2], "a`b": [1.0, None]}), name)
    seen = []
    wh.publish(
        wh.read(name),
        name,
        validate=lambda s: seen.append((s.validates_in_sql, s.to_pandas()["a`b"].isna().tolist())),
    )
    in_sql = wh.dialect.name not in ("mysql", "duckdb")
    assert seen == [(in_sql, [False, True])]


def test_infinity_is_stored_or_refused_naming_the_column(wh, drop_later, unique_name):
    # MySQL and MariaDB refuse infinities; their driver's error named neither table nor column
    frame = pd.DataFrame({"id": [1, 2, 3], "ratio": [1.5, float("inf"), None]})
    name = drop_later(unique_name)
    if wh.dialect.stores_infinity:
        wh.publish(frame, name)
        assert wh.read(name).sort_values("id")["ratio"].tolist()[1] == float("inf")
        return
    with pytest.raises(PublishRefused, match=r"1 infinite value.*column 'ratio'"):
        wh.publish(frame, name)
    with wh.engine.connect() as conn:
        assert not wh.dialect.has_table(conn, name, None)  # nothing made


def test_columns_differing_only_in_case_are_refused_where_they_are_one_name(
    wh, drop_later, unique_name
):
    """DuckDB, SQLite and MySQL read ``Class`` and ``class`` as one name (their own error names
    neither column); PostgreSQL keeps both."""
    frame = pd.DataFrame({"class": [1.0, 2.0], "Class": [3.0, None]})
    table = drop_later(unique_name)
    if wh.dialect.name == "postgresql":
        wh.publish(frame, table)
        assert wh.read(table).columns.tolist() == ["class", "Class"]
    else:
        with pytest.raises(PublishRefused, match="'class' and 'Class' differ only in case"):
            wh.publish(frame, table)
        with wh.engine.connect() as conn:
            assert not wh.dialect.has_table(conn, table, None)
