"""Two processes publishing the same partition at once never leave it with duplicate rows: the
warehouse serializes publishes per table/partition (PostgreSQL advisory lock, MySQL GET_LOCK,
DuckDB's single writer, SQLite's write lock). A new output table gets the source's key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import DuplicateKey
from tests.factories import repo_env
from tests.warehouse.conftest import DAYS, N_ROWS, staging_tables

#: Trials per engine: the servers interleave two publishes; the file engines serialize whole
#: transactions by their own lock, so fewer trials show it.
TRIALS = {"postgresql": 8, "mysql": 8, "duckdb": 3, "sqlite": 3}

#: Each trial: read the partition, stage it, wait at a barrier (a file the test creates once
#: both children have staged), then publish: both publishing transactions start together.
CHILD = """
import os, sys, time
from impute_assets.warehouse import Warehouse

url, table, day, trials, barrier = sys.argv[1:6]
wh = Warehouse(url)
for trial in range(int(trials)):
    frame = wh.read(table, partition=("day", day))

    def validate(staging, trial=trial):
        print(f"staged {trial}", flush=True)
        while barrier != "-" and not os.path.exists(f"{barrier}.{trial}"):
            time.sleep(0.01)

    wh.publish(frame, table, partition=("day", day), validate=validate)
    print(f"done {trial}", flush=True)
"""


def _child(url: str, table: str, trials: int, barrier: str) -> subprocess.Popen:
    env = repo_env()
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, table, DAYS[0].isoformat(), str(trials), barrier],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _expect(child: subprocess.Popen, line: str) -> None:
    got = child.stdout.readline().strip()
    if got != line:
        child.kill()
        raise AssertionError(f"expected {line!r}, got {got!r}: {child.communicate()[1]}")


def test_same_partition_publishes_at_once_never_duplicate(
    wh, make_table, any_warehouse_url, tmp_path
):
    name = make_table()
    table = sa.table(name, sa.column("day"))
    in_partition = sum(1 for i in range(N_ROWS) if i % len(DAYS) == 0)
    # DuckDB admits one process per file: the second waits for the first's whole publish.
    barrier = "-" if wh.dialect.name == "duckdb" else str(tmp_path / "go")
    trials = TRIALS[wh.dialect.name]
    children = [_child(any_warehouse_url, name, trials, barrier) for _ in range(2)]
    try:
        for trial in range(trials):
            if barrier != "-":
                for child in children:
                    _expect(child, f"staged {trial}")
                Path(f"{barrier}.{trial}").touch()
            for child in children:
                if barrier == "-":
                    _expect(child, f"staged {trial}")
                _expect(child, f"done {trial}")
            with wh.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(sa.func.count()).select_from(table).where(table.c.day == DAYS[0])
                ).scalar_one()
                total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            assert (rows, total) == (in_partition, N_ROWS), f"trial {trial}"
    finally:
        for child in children:
            child.kill()
            child.wait()
    assert staging_tables(wh, name) == []


def test_a_new_output_table_gets_the_source_key(wh, make_table, drop_later):
    source = make_table()  # primary key "id"
    output = drop_later(f"{source}_out")
    frame = wh.read(source)
    wh.publish(frame, output, like=source)
    assert wh.describe(output).primary_key == ("id",)

    keyless = drop_later(f"{source}_nokey")
    doubled = pd.concat([frame, frame.iloc[:1]], ignore_index=True)
    with pytest.raises(DuplicateKey, match=f"rows repeat a key value .*table '{keyless}'"):
        wh.publish(doubled, keyless, key=["id"])  # the key gets a unique index
    with wh.engine.connect() as conn:
        assert not wh.dialect.has_table(conn, keyless, None)  # nothing half-made is left
    wh.publish(frame, keyless, key=["id"])
    with pytest.raises(sa.exc.IntegrityError), wh.engine.begin() as conn:
        conn.execute(
            sa.table(keyless, sa.column("id"), sa.column("day")).insert(), {"id": 0, "day": DAYS[0]}
        )
