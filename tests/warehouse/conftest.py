"""Fixtures for the warehouse tests: a Warehouse per engine, a typed sample table, cleanup."""

from __future__ import annotations

import datetime as dt
import decimal
import random
from collections.abc import Callable, Iterator

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import Warehouse
from impute_assets.warehouse.publish import staging_of

N_ROWS = 30
DAYS = [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 3)]


def sample_table(name: str, schema: str | None = None) -> sa.Table:
    """Every supported family of types, nullable except the key and the partition column."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("qty", sa.Integer),
        sa.Column("price", sa.Double),
        sa.Column("amount", sa.Numeric(10, 2)),
        sa.Column("city", sa.String(50)),
        sa.Column("active", sa.Boolean),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True)),
        schema=schema,
    )


def sample_rows(n: int = N_ROWS, seed: int = 0, missing: float = 0.2) -> list[dict]:
    """Deterministic rows with about ``missing`` of each nullable cell set to NULL."""
    rng = random.Random(seed)

    def maybe(value: object) -> object:
        return None if rng.random() < missing else value

    return [
        {
            "id": i,
            "qty": maybe(rng.randint(-50, 500)),
            "price": maybe(round(rng.uniform(0, 100), 3)),
            "amount": maybe(decimal.Decimal(rng.randint(0, 99999)) / 100),
            "city": maybe(rng.choice(["Oslo", "Lima", "Pune", "", "Tōkyō"])),
            "active": maybe(rng.random() < 0.5),
            "day": DAYS[i % len(DAYS)],
            "seen_at": maybe(
                dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randint(0, 10**6))
            ),
        }
        for i in range(n)
    ]


@pytest.fixture
def wh(any_warehouse_url: str) -> Iterator[Warehouse]:
    warehouse = Warehouse(any_warehouse_url)
    yield warehouse
    warehouse.close()


@pytest.fixture
def drop_later(wh: Warehouse) -> Iterator[Callable[[str], str]]:
    """Register table names to drop at teardown (with any staging litter of this test)."""
    names: list[str] = []
    yield lambda name: names.append(name) or name
    for name in names:
        drop_table(wh, name)


def drop_table(wh: Warehouse, name: str, schema: str | None = None) -> None:
    """DROP TABLE IF EXISTS, compiled by SQLAlchemy: a ``%`` in the name reaches the driver
    escaped once (an already-quoted name inside ``sa.text()`` would drop ``p%%x``, not ``p%x``)."""
    with wh.engine.begin() as conn:
        conn.execute(
            sa.schema.DropTable(sa.Table(name, sa.MetaData(), schema=schema), if_exists=True)
        )


@pytest.fixture
def make_table(wh: Warehouse, drop_later, unique_name: str) -> Callable[..., str]:
    """Create and fill the sample table; returns its name."""

    def make(rows: list[dict] | None = None, name: str | None = None) -> str:
        name = drop_later(name or unique_name)
        table = sample_table(name)
        with wh.engine.begin() as conn:
            table.create(conn)
            rows_ = sample_rows() if rows is None else rows
            if rows_:
                conn.execute(table.insert(), rows_)
        return name

    return make


def expected_frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as pandas sees them: None -> missing."""
    return pd.DataFrame(rows)


def normalized(frame: pd.DataFrame) -> list[dict]:
    """Rows sorted by id with values as plain Python, timestamps as naive UTC."""

    def plain(value: object) -> object:
        if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
            return None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        if isinstance(value, decimal.Decimal):
            return float(value)
        if hasattr(value, "item"):
            return value.item()
        return value

    rows = [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    rows = [
        {k: (v.date() if k == "day" and isinstance(v, dt.datetime) else v) for k, v in row.items()}
        for row in rows
    ]
    return sorted(rows, key=lambda r: r["id"])


def staging_tables(wh: Warehouse, table: str) -> list[str]:
    """Staging tables left for ``table`` (others may be publishing into the same server)."""
    with wh.engine.connect() as conn:
        return staging_of(wh.dialect.table_names(conn, None), table)
