"""A publish is invisible until it commits: no empty output table while staging and validating,
none left by a killed publisher, and readers on older snapshots keep seeing the old rows."""

from __future__ import annotations

import signal
import subprocess
import sys

import pandas as pd
import pytest
import sqlalchemy as sa

from impute_assets.warehouse import Warehouse
from tests.factories import repo_env
from tests.warehouse.conftest import N_ROWS

CHILD = """
import sys, time
import pandas as pd
from impute_assets.warehouse import Warehouse

url, source, output = sys.argv[1:4]
wh = Warehouse(url)

def validate(staging):
    print("staged", flush=True)
    time.sleep(120)

wh.publish(wh.read(source), output, like=source, validate=validate)
"""


def _exists(wh: Warehouse, table: str) -> bool:
    with wh.engine.connect() as conn:
        return wh.dialect.has_table(conn, table, None)


def test_no_output_table_before_the_publish_commits(wh, make_table, drop_later):
    source = make_table()
    output = drop_later(f"{source}_out")
    seen = []
    wh.publish(
        wh.read(source),
        output,
        like=source,
        validate=lambda staging: seen.append(_exists(wh, output)),
    )
    assert seen == [False] and len(wh.read(output)) == N_ROWS


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_a_killed_first_publish_leaves_no_empty_table(server, request, unique_name):
    url = request.getfixturevalue(f"{server}_url")
    wh = Warehouse(url)
    source, output = unique_name, f"{unique_name}_out"
    wh.publish(pd.DataFrame({"id": range(5), "x": [1.0] * 5}), source)
    env = repo_env()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, source, output],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout.readline().strip() == "staged", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    try:
        assert not _exists(wh, output)
    finally:
        _drop(wh, source, output)
        wh.close()


def _drop(wh: Warehouse, *names: str) -> None:
    with wh.engine.begin() as conn:
        for name in names:
            conn.execute(sa.schema.DropTable(sa.Table(name, sa.MetaData()), if_exists=True))


@pytest.mark.parametrize("server", ["postgres", "mysql"])
def test_readers_on_older_snapshots_keep_the_old_rows(server, request, unique_name):
    url = request.getfixturevalue(f"{server}_url")
    wh = Warehouse(url)
    wh.publish(pd.DataFrame({"id": range(5), "x": [1.0] * 5}), unique_name)
    begin = {
        "postgres": "BEGIN ISOLATION LEVEL REPEATABLE READ",
        "mysql": "START TRANSACTION WITH CONSISTENT SNAPSHOT",
    }[server]
    reader = sa.create_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT")
    table = sa.table(unique_name, sa.column("x"))
    count = sa.select(sa.func.count()).select_from(table)
    try:
        reader.exec_driver_sql(begin)
        reader.execute(sa.select(sa.literal(1))).scalar()  # the snapshot is taken here
        wh.publish(pd.DataFrame({"id": range(3), "x": [2.0] * 3}), unique_name)  # full replace
        assert reader.execute(count).scalar_one() == 5  # the old rows, not an empty table
        reader.exec_driver_sql("COMMIT")
        assert reader.execute(count).scalar_one() == 3  # a fresh snapshot: the new rows
    finally:
        reader.close()
        _drop(wh, unique_name)
        wh.close()
