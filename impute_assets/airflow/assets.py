"""Airflow assets of a table: the source a DAG is scheduled on, and the imputed table it updates.

An asset is named by the connection, the database schema and the table, so the same table
reached through one connection is one asset in every DAG.
"""

from __future__ import annotations

from airflow.sdk import Asset, PartitionedAssetTimetable

from impute_assets.pipeline.spec import TableSpec

#: URI scheme of warehouse tables kept complete by impute_assets.
SCHEME = "impute-assets"


def table_asset(conn_id: str, table: str, schema: str | None = None) -> Asset:
    """The asset of ``[schema.]table`` in the warehouse of connection ``conn_id``."""
    path = "/".join(filter(None, [schema, table]))
    return Asset(
        name=f"{conn_id}.{path.replace('/', '.')}",
        uri=f"{SCHEME}://{conn_id}/{path}",
        group="impute_assets",
    )


def source_asset(spec: TableSpec, conn_id: str) -> Asset:
    """The source table's asset: producers that load rows into it emit events on it."""
    return table_asset(conn_id, spec.table, spec.db_schema)


def imputed_asset(spec: TableSpec, conn_id: str) -> Asset:
    """The filled table's asset: updated by every successful fill, with its counts as extra."""
    return table_asset(conn_id, spec.output_name, spec.db_schema)


def on_new_data(spec: TableSpec, conn_id: str) -> Asset | PartitionedAssetTimetable:
    """A DAG ``schedule`` that runs when the source table gets new data.

    For a partitioned table it is partition-aware: a producer that adds rows to partition
    ``2013-02`` says so with ``outlet_events[source].add_partitions("2013-02")`` and the run
    fills just that partition (its ``partition_key``), as Dagster's partition sensor does.
    """
    source = source_asset(spec, conn_id)
    return PartitionedAssetTimetable(assets=source) if spec.partition else source
