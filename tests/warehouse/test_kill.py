"""A publishing process killed with SIGKILL leaves the published table exactly as it was
(PostgreSQL, a separate process), and its staging litter is swept by the next publish."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from impute_assets.warehouse import Warehouse, audit_table
from tests.factories import repo_env
from tests.warehouse.conftest import normalized, sample_rows, sample_table, staging_tables

CHILD = """
import sys, time
import pandas as pd
from impute_assets.warehouse import Warehouse, audit_frame

url, table, audit_name, mode = sys.argv[1:5]
wh = Warehouse(url)
frame = wh.read(table)
frame["qty"] = 1
cells = pd.DataFrame({"row": [0], "column": ["qty"], "value": [1], "confidence": [0.5],
                      "model_version": ["v"]})

def validate(staging):
    print("staged", flush=True)
    if mode == "validate":
        time.sleep(120)

wh.publish(frame, table, validate=validate, audit_table=audit_name,
           audit=audit_frame(cells, frame, ["id"], run_id="r", table=table))
print("published", flush=True)
"""


def _start(url: str, table: str, audit_name: str, mode: str) -> subprocess.Popen:
    env = repo_env()
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, table, audit_name, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(predicate, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _swept(wh: Warehouse, table: str) -> bool:
    """Sweep (as every publish does first); True once no staging of ``table`` is left."""
    wh.sweep_staging()
    return staging_tables(wh, table) == []


@pytest.fixture
def pg(postgres_url, unique_name):
    wh = Warehouse(postgres_url)
    table = sample_table(unique_name)
    with wh.engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), sample_rows())
        audit_table(f"{unique_name}_audit").create(conn)
    yield wh
    with wh.engine.begin() as conn:
        for name in (unique_name, f"{unique_name}_audit"):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    wh.close()


def test_kill_during_validation(pg, postgres_url, unique_name):
    original = normalized(pg.read(unique_name))
    child = _start(postgres_url, unique_name, f"{unique_name}_audit", "validate")
    try:
        assert child.stdout.readline().strip() == "staged", child.stderr.read()
        assert len(staging_tables(pg, unique_name)) == 1
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert normalized(pg.read(unique_name)) == original
    # The killed process's backend goes away; the next publish (here: a sweep) drops its litter.
    _wait_for(lambda: _swept(pg, unique_name), "the dead publisher's staging to be swept")


def test_kill_inside_the_publishing_transaction(pg, postgres_url, unique_name):
    original = normalized(pg.read(unique_name))
    audit_name = f"{unique_name}_audit"
    blocker = pg.engine.connect()
    try:
        # Hold the audit table: the child refills the table, then waits here (replacing audit rows).
        blocker.execute(sa.text(f'LOCK TABLE "{audit_name}" IN ACCESS EXCLUSIVE MODE'))
        child = _start(postgres_url, unique_name, audit_name, "transaction")
        assert child.stdout.readline().strip() == "staged", child.stderr.read()

        def child_waits_on_lock() -> bool:  # a fresh transaction sees fresh pg_stat_activity
            with pg.engine.connect() as conn:
                return bool(
                    conn.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND query ~ '^(COPY|DELETE)' AND query LIKE :audit"
                        ),
                        {"audit": f"%{audit_name}%"},
                    ).scalar_one()
                )

        _wait_for(child_waits_on_lock, "the child to block inside its publish transaction")
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        blocker.rollback()
        blocker.close()
    assert normalized(pg.read(unique_name)) == original
    assert len(pg.read(audit_name)) == 0
    _wait_for(lambda: _swept(pg, unique_name), "the dead publisher's staging to be swept")
