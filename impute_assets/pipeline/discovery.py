"""Which columns of each table need a model, asked of the warehouse once, outside code loading.

A table that lists its ``columns`` needs no discovery. For the others, :func:`discover` counts
nulls in SQL and records the incomplete columns, or the error that stopped it (an unset env
var, a typo in the table name, an outage, a bad password): one broken table never stops the
others, and its own runs fail with the recorded message. The result is plain JSON, so any
orchestrator can keep it (Dagster keeps it as a state-backed component's state).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from impute_assets.pipeline.detect import columns_to_impute, detect
from impute_assets.pipeline.spec import TableSpec

#: What to do about a table not (or not successfully) discovered.
_REFRESH = (
    "discover again: in Dagster `dg utils refresh-defs-state` (or restart `dagster dev`), in "
    "Python `impute_assets.pipeline.discovery.discover`"
)


class TableDiscovery(BaseModel):
    """What discovery found for one table: its incomplete columns, or why it could not tell."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: list[str] | None = None
    error: str | None = None


class Discovery(BaseModel):
    """Discovery results per table id (see :func:`table_id`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tables: dict[str, TableDiscovery] = {}

    def columns_for(self, spec: TableSpec) -> list[str]:
        """The columns to impute, or :class:`DiscoveryError` naming the table and the cause."""
        if spec.columns is not None:
            return list(spec.columns)
        found = self.tables.get(table_id(spec))
        if found is None:
            raise DiscoveryError(
                f"table {spec.table!r}: its incomplete columns have not been discovered yet "
                f"(no 'columns' given); {_REFRESH}, or list 'columns'"
            )
        if found.error is not None:
            raise DiscoveryError(
                f"table {spec.table!r}: finding its incomplete columns failed: {found.error}; fix "
                f"it, then {_REFRESH}"
            )
        return list(found.columns or [])


class DiscoveryError(LookupError):
    """A table's columns to impute are unknown; the message names the table and the cause."""


def table_id(spec: TableSpec) -> str:
    """Stable id of a table across refreshes: its URL env var, schema and name."""
    return f"{spec.url_env}:{spec.db_schema or ''}.{spec.table}"


def discover(specs: Sequence[TableSpec], env: Mapping[str, str] | None = None) -> Discovery:
    """Incomplete columns of every table without ``columns``; errors are recorded, not raised."""
    env = os.environ if env is None else env
    return Discovery(
        tables={
            table_id(spec): _discover_one(spec, env.get(spec.url_env))
            for spec in specs
            if spec.columns is None
        }
    )


def _discover_one(spec: TableSpec, url: str | None) -> TableDiscovery:
    if not url:
        return TableDiscovery(error=f"env var {spec.url_env} (the warehouse URL) is unset")
    try:
        return TableDiscovery(columns=incomplete_columns(spec, url))
    except Exception as exc:  # noqa: BLE001  any failure is this table's alone
        return TableDiscovery(error=_describe(exc, url))


def incomplete_columns(spec: TableSpec, url: str) -> list[str]:
    """Columns with nulls (or NaN), counted in SQL, less ``skip`` and ``exclude``."""
    from impute_assets.warehouse import Warehouse

    with Warehouse(url, url_env=spec.url_env) as warehouse:
        return columns_to_impute(spec, detect(spec, warehouse))


def _describe(exc: Exception, url: str) -> str:
    """The error's first line and the masked URL; the warehouse password is never shown."""
    import sqlalchemy as sa

    from impute_assets.warehouse.url import mask_url

    text = (str(exc).strip().splitlines() or [""])[0] or type(exc).__name__
    try:
        secret = sa.make_url(url).password
    except Exception:  # noqa: BLE001  an unparsable URL has no password to hide
        secret = None
    if secret:
        text = text.replace(str(secret), "***")
    masked = mask_url(url)
    return f"{type(exc).__name__}: {text}" + ("" if masked in text else f" ({masked})")
