"""Bulk loads take Arrow tables one after the other: every row arrives, in order, on every
engine. DuckDB inserts them a row group at a time without holding the Arrow memory of the
tables it has loaded until the transaction ends."""

from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa

from impute_assets.warehouse import Warehouse, bulk_load
from impute_assets.warehouse.bulk_load import bulk_load as load


def _table(warehouse: Warehouse, name: str) -> sa.Table:
    table = sa.Table(
        name, sa.MetaData(), sa.Column("id", sa.BigInteger), sa.Column("text", sa.Text)
    )
    table.create(warehouse.engine)
    return table


def _rows(start: int, count: int, width: int = 3) -> pa.Table:
    ids = list(range(start, start + count))
    return pa.table({"id": pa.array(ids, pa.int64()), "text": [f"{i:0{width}d}" for i in ids]})


def test_tables_one_after_another_load_every_row_in_order(
    any_warehouse_url, unique_name, monkeypatch
):
    monkeypatch.setattr(bulk_load, "DUCKDB_ROWS", 4)  # row groups that split the tables
    warehouse = Warehouse(any_warehouse_url)
    table = _table(warehouse, unique_name)
    sizes = [3, 0, 10, 5]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    try:
        with warehouse.engine.connect() as conn:
            tables = (_rows(s, n) for s, n in zip(starts, sizes, strict=True))
            assert load(conn, warehouse.dialect, table, None, tables) == sum(sizes)
            conn.commit()
        got = warehouse.read(unique_name).sort_values("id")
        assert got["id"].tolist() == list(range(sum(sizes)))
        assert got["text"].tolist() == [f"{i:03d}" for i in range(sum(sizes))]
    finally:
        table.drop(warehouse.engine)
        warehouse.close()


def test_duckdb_holds_no_loaded_table_until_the_transaction_ends(
    duckdb_url, unique_name, monkeypatch
):
    monkeypatch.setattr(bulk_load, "DUCKDB_ROWS", 1_000)
    warehouse = Warehouse(duckdb_url)
    table = _table(warehouse, unique_name)
    size = _rows(0, 1_000, width=1_000).nbytes  # ~1 MB a table
    held: list[int] = []

    def tables():
        start = pa.total_allocated_bytes()
        for i in range(10):
            yield _rows(i * 1_000, 1_000, width=1_000)
            held.append(pa.total_allocated_bytes() - start)

    with warehouse.engine.connect() as conn:
        conn.begin()
        assert load(conn, warehouse.dialect, table, None, tables()) == 10_000
        assert max(held) < 3 * size  # a registered view held all ten until the commit
        conn.commit()
    assert len(warehouse.read(unique_name)) == 10_000
    warehouse.close()
