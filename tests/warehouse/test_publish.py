"""Write-audit-publish: round trips keep rows, values and types; failures change nothing."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

import impute_assets.warehouse.publish as publish_module
from impute_assets.warehouse import AUDIT_COLUMNS, PublishRefused, audit_frame
from tests.warehouse.conftest import DAYS, normalized, sample_rows, staging_tables

FILL = {
    "qty": 7.0,
    "price": 1.5,
    "amount": decimal.Decimal("2.25"),
    "city": "Oslo",
    "active": True,
    "seen_at": pd.Timestamp("2024-02-01 12:00", tz="UTC"),
}


def filled(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill every gap the way an imputer would: integer columns arrive as floats."""
    out = frame.copy()
    out["qty"] = out["qty"].astype("float64")
    for column, value in FILL.items():
        fill = value
        if column == "seen_at" and out[column].dt.tz is None:
            fill = value.tz_localize(None)
        if column == "active" and not pd.api.types.is_bool_dtype(out[column]):
            fill = 1  # MySQL's BOOLEAN is TINYINT(1): read as the integer it holds
        out[column] = out[column].fillna(fill)
    return out


def test_round_trip_keeps_every_row_value_and_type(wh, make_table):
    name = make_table()
    before = wh.describe(name)
    original = wh.read(name)
    result = wh.publish(filled(original), name)
    assert (result.rows_written, result.rows_replaced, result.created) == (
        len(original),
        len(original),
        False,
    )
    after = wh.read(name)
    assert [(c.name, c.sql_type) for c in wh.describe(name).columns] == [
        (c.name, c.sql_type) for c in before.columns
    ]
    assert after["qty"].dtype == "Int64"  # INTEGER stays INTEGER
    for old, new in zip(normalized(original), normalized(after), strict=True):
        for column, value in old.items():
            if value is not None:
                assert new[column] == value, (column, old["id"])
            else:
                assert new[column] is not None, (column, old["id"])
    assert staging_tables(wh, name) == []


def test_fractional_value_into_integer_column_is_refused(wh, make_table):
    name = make_table()
    frame = filled(wh.read(name))
    frame.loc[0, "qty"] = 1.5
    with pytest.raises(PublishRefused, match=f"column 'qty' of table '{name}'"):
        wh.publish(frame, name)
    assert normalized(wh.read(name)) == normalized(pd.DataFrame(sample_rows()))


def test_partition_replace_touches_only_its_partition(wh, make_table):
    name = make_table()
    original = normalized(wh.read(name))
    day = DAYS[1].isoformat()
    part = wh.read(name, partition=("day", day))
    part["qty"] = 999
    result = wh.publish(part, name, partition=("day", day))
    assert result.partition == ("day", day) and result.rows_replaced == len(part)
    for old, new in zip(original, normalized(wh.read(name)), strict=True):
        if old["day"] == DAYS[1]:
            assert new == {**old, "qty": 999}
        else:
            assert new == old


def test_partition_publish_refuses_rows_of_other_partitions(wh, make_table):
    name = make_table()
    frame = wh.read(name)
    with pytest.raises(PublishRefused, match="outside partition"):
        wh.publish(frame, name, partition=("day", DAYS[0].isoformat()))
    assert len(wh.read(name)) == len(frame)


def test_failed_validation_leaves_table_intact_and_no_staging(wh, make_table):
    name = make_table()
    original = normalized(wh.read(name))
    seen = {}

    def refuse(staging):
        with staging.engine.connect() as conn:  # the staged rows are committed and readable
            seen["rows"] = conn.execute(
                sa.select(sa.func.count()).select_from(
                    sa.table(staging.name, schema=staging.schema)
                )
            ).scalar_one()
        seen["frame"] = staging.to_pandas()
        seen["qty"] = staging.to_pandas(["qty"])
        raise ValueError("suite failed")

    with pytest.raises(ValueError, match="suite failed"):
        wh.publish(filled(wh.read(name)), name, validate=refuse)
    assert seen["rows"] == len(original) and seen["frame"]["qty"].notna().all()
    assert list(seen["qty"].columns) == ["qty"] and seen["qty"].equals(seen["frame"][["qty"]])
    assert normalized(wh.read(name)) == original
    assert staging_tables(wh, name) == []


def test_exception_mid_publish_rolls_back_data_and_audit(wh, make_table, drop_later, monkeypatch):
    name = make_table()
    audit_name = drop_later(f"{name}_audit")
    original = normalized(wh.read(name))
    real_write_audit = publish_module.write_audit

    def write_then_fail(conn, *args):
        real_write_audit(conn, *args)
        # Inside the transaction the new rows are already in place ...
        assert (
            conn.execute(
                sa.select(sa.func.count())
                .select_from(sa.table(name))
                .where(sa.column("qty").is_(None))
            ).scalar_one()
            == 0
        )
        raise RuntimeError("injected")

    monkeypatch.setattr(publish_module, "write_audit", write_then_fail)
    frame = filled(wh.read(name))
    with pytest.raises(RuntimeError, match="injected"):
        wh.publish(frame, name, audit=_audit(frame, name), audit_table=audit_name)
    # ... and after the failure, none of them are (nor the audit table this publish created).
    assert normalized(wh.read(name)) == original
    with wh.engine.connect() as conn:
        assert not wh.dialect.has_table(conn, audit_name, None)
    assert staging_tables(wh, name) == []


def _audit(frame: pd.DataFrame, table: str, partition: str | None = None) -> pd.DataFrame:
    cells = pd.DataFrame(
        {
            "row": [0, 1],
            "column": ["qty", "city"],
            "value": [7.0, "Oslo"],
            "confidence": [0.9, 0.6],
            "model_version": ["abc123", "def456"],
        }
    )
    return audit_frame(
        cells,
        frame,
        ["id"],
        run_id="run-1",
        table=table,
        partition=partition,
        at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
    )


def test_audit_rows_are_published_with_the_data(wh, make_table, drop_later):
    name = make_table()
    audit_name = drop_later(f"{name}_audit")
    day = DAYS[2].isoformat()
    frame = filled(wh.read(name, partition=("day", day)))
    result = wh.publish(
        frame, name, partition=("day", day), audit=_audit(frame, name, day), audit_table=audit_name
    )
    assert result.audit_rows == 2
    audit = wh.read(audit_name)
    assert list(audit.columns) == list(AUDIT_COLUMNS)
    audit = audit.sort_values("column_name")
    assert audit["column_name"].tolist() == ["city", "qty"]
    assert [json.loads(k) for k in audit["row_key"]] == [
        {"id": int(frame["id"].iloc[1])},
        {"id": int(frame["id"].iloc[0])},
    ]
    assert audit["imputed_value"].tolist() == ["Oslo", "7.0"]
    assert audit["partition"].tolist() == [day, day]
    assert audit["confidence"].tolist() == [0.6, 0.9]


def test_new_output_table_takes_the_source_types(wh, make_table, drop_later):
    name = make_table()
    out = drop_later(f"{name}_filled")
    frame = filled(wh.read(name))
    result = wh.publish(frame, out, like=name)
    assert result.created
    assert [c.sql_type for c in wh.describe(out).columns] == [
        c.sql_type for c in wh.describe(name).columns
    ]
    assert wh.read(out)["qty"].notna().all()


def test_new_output_table_without_template_follows_the_frame(wh, drop_later, unique_name):
    frame = pd.DataFrame(
        {"n": pd.array([1, None, 3], dtype="Int64"), "s": ["a", None, "c"], "x": [0.5, 1.5, None]}
    )
    wh.publish(frame, drop_later(unique_name))
    back = wh.read(unique_name)
    assert back["n"].dtype == "Int64" and back["n"].tolist()[0] == 1
    assert back["s"].isna().tolist() == [False, True, False]


def test_a_new_table_from_a_frame_named_by_integers_names_its_columns_as_text(
    wh, drop_later, unique_name
):
    # pd.DataFrame(array) names its columns 0, 1: the table's are "0", "1", values staged alike
    frame = pd.DataFrame([[1.5, "a"], [None, "b"]])
    assert wh.publish(frame, drop_later(unique_name)).rows_written == 2
    back = wh.read(unique_name)
    assert list(back.columns) == ["0", "1"]
    assert back["0"].tolist()[0] == 1.5 and back["0"].isna().tolist() == [False, True]
    assert back["1"].tolist() == ["a", "b"]


def test_failed_first_publish_leaves_no_table(wh, drop_later, unique_name):
    frame = pd.DataFrame({"n": [1, 2]})

    def refuse(staging):
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        wh.publish(frame, drop_later(unique_name), validate=refuse)
    with wh.engine.connect() as conn:
        assert not wh.dialect.has_table(conn, unique_name, None)


def test_published_table_keeps_its_key_and_defaults(wh, drop_later, unique_name):
    name = drop_later(unique_name)
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("v", sa.Integer),
        sa.Column("tag", sa.String(10), server_default="dflt"),
    )
    plain = sa.table(name, sa.column("id"), sa.column("v"), sa.column("tag"))
    with wh.engine.begin() as conn:
        table.create(conn)
        conn.execute(
            plain.insert(), [{"id": 1, "v": None, "tag": "a"}, {"id": 2, "v": 5, "tag": "b"}]
        )
    frame = wh.read(name)
    frame["v"] = frame["v"].fillna(0)
    wh.publish(frame, name)
    assert wh.describe(name).primary_key == ("id",)
    with wh.engine.begin() as conn:
        conn.execute(plain.insert().values(id=3, v=1))
        assert conn.execute(sa.select(plain.c.tag).where(plain.c.id == 3)).scalar_one() == "dflt"
    with pytest.raises(sa.exc.IntegrityError), wh.engine.begin() as conn:
        conn.execute(plain.insert().values(id=1, v=1))


def test_swapped_table_keeps_its_key(wh, make_table):
    name = make_table()  # no defaults: DuckDB publishes it by swapping the staging table in
    wh.publish(filled(wh.read(name)), name)
    desc = wh.describe(name)
    assert desc.primary_key == ("id",) and not desc.column("day").nullable
    with pytest.raises(sa.exc.IntegrityError), wh.engine.begin() as conn:
        conn.execute(
            sa.table(name, sa.column("id"), sa.column("day")).insert().values(id=0, day=DAYS[0])
        )


def test_rows_the_table_rejects_leave_it_intact_and_no_staging(wh, make_table):
    name = make_table()
    original = normalized(wh.read(name))
    frame = filled(wh.read(name))
    frame.loc[1, "id"] = frame.loc[0, "id"]  # duplicate primary key
    with pytest.raises(Exception):  # noqa: B017, PT011 - each engine's own integrity error
        wh.publish(frame, name)
    assert normalized(wh.read(name)) == original
    assert staging_tables(wh, name) == []


def test_uuid_objects_are_written_as_their_text(wh, drop_later, unique_name):
    # Arrow reads uuid objects as 16 raw bytes: a new text column stored those bytes (and
    # PostgreSQL refused their zero bytes)
    ids = [uuid.UUID(int=1), None, uuid.UUID(int=2**100)]
    wh.publish(pd.DataFrame({"n": [1, 2, 3], "u": ids}), drop_later(unique_name))
    back = wh.read(unique_name).sort_values("n")
    assert back["u"].tolist()[::2] == [str(ids[0]), str(ids[2])]
    assert back["u"].isna().tolist() == [False, True, False]
