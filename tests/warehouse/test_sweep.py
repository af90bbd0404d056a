"""Staging tables of dead sessions are swept; those of live sessions are left alone."""

from __future__ import annotations

import sqlalchemy as sa

from tests.warehouse.conftest import staging_tables


def _fake_staging(wh, owner: str, table: str) -> str:
    from impute_assets.core.names import table_tag
    from impute_assets.warehouse.publish import STAGING_PREFIX

    name = f"{STAGING_PREFIX}{owner}_{table_tag(table)}_0123abcd"
    with wh.engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {wh.dialect.qualified(name, None)} (x INTEGER)"))
    return name


def test_sweep_drops_staging_of_dead_sessions_only(wh, drop_later, unique_name):
    with wh.engine.connect() as live:
        owner = wh.dialect.session_owner(live)
        dead = drop_later(_fake_staging(wh, owner[0] + "999999999", unique_name))
        alive = drop_later(_fake_staging(wh, owner, unique_name))
        swept = wh.sweep_staging()
        assert dead in swept
        if wh.dialect.name in ("postgresql", "mysql"):  # a server session that is still open
            assert alive not in swept
            assert staging_tables(wh, unique_name) == [alive]
