"""The warehouse as an Airflow Connection: any SQLAlchemy database the warehouse layer talks to.

A connection's parts become a SQLAlchemy URL: its type picks the driver (``postgres`` ->
``postgresql+psycopg``, ``mysql`` -> ``mysql+pymysql``, ``duckdb``, ``sqlite``; the extra
``sqlalchemy_scheme`` overrides it), ``schema`` is the database (or the file of DuckDB and
SQLite), and the other string extras are URL query parameters. Airflow masks the password in
task logs; the URL is only ever rendered with it hidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from airflow.sdk import BaseHook

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from impute_assets.warehouse import Warehouse

#: SQLAlchemy drivers for Airflow connection types (others are used as they are).
DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
}
#: Extras that configure the URL itself rather than being passed as query parameters.
_URL_EXTRAS = frozenset({"sqlalchemy_scheme"})


def connection_url(conn: Connection) -> sa.URL:
    """The SQLAlchemy URL of an Airflow connection (password included: never log it)."""
    extra = conn.extra_dejson
    driver = extra.get("sqlalchemy_scheme") or DRIVERS.get(conn.conn_type, conn.conn_type)
    if not driver:
        raise ValueError(
            f"connection {conn.conn_id!r} has no type; set conn_type or an extra "
            "'sqlalchemy_scheme' (e.g. duckdb, postgresql+psycopg)"
        )
    query = {k: v for k, v in extra.items() if k not in _URL_EXTRAS and isinstance(v, str)}
    return sa.URL.create(
        driver,
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host or None,
        port=conn.port or None,
        database=conn.schema or None,
        query=query,
    )


class WarehouseHook(BaseHook):
    """Opens the :class:`~impute_assets.warehouse.Warehouse` an Airflow connection points at.

    Example:
        >>> import os
        >>> os.environ["AIRFLOW_CONN_WAREHOUSE"] = "postgresql://etl:s3cret@db:5432/analytics"
        >>> WarehouseHook("warehouse").get_warehouse()
        Warehouse('postgresql+psycopg://etl:***@db:5432/analytics')
    """

    conn_name_attr = "conn_id"
    default_conn_name = "impute_warehouse_default"
    hook_name = "impute_assets warehouse"

    def __init__(self, conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id

    def sqlalchemy_url(self) -> sa.URL:
        """The connection as a SQLAlchemy URL."""
        return connection_url(self.get_connection(self.conn_id))

    def get_warehouse(self) -> Warehouse:
        """A Warehouse on the connection (close it when done)."""
        from impute_assets.warehouse import Warehouse

        warehouse = Warehouse(self.sqlalchemy_url())
        self.log.info("warehouse %s (connection %s)", warehouse.masked_url, self.conn_id)
        return warehouse
