"""Steps on other hosts (Celery workers, Kubernetes pods): what a table's run needs there.

A multi-host executor starts every step in a fresh process on whichever worker or pod takes it,
so steps share nothing but the warehouse, the model store and the Dagster instance. A local
DuckDB or SQLite file cannot be that warehouse (it lives on one host's disk, and DuckDB lets
one process write it), nor can a ``memory://`` model store (it lives in one process): such
tables are refused, naming the table, the executor and what to use instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from impute_assets.pipeline.spec import TableSpec

#: Dagster executors whose steps may run on another host than the one that launched the run.
MULTI_HOST_EXECUTORS = frozenset({"celery", "celery-docker", "celery-k8s", "docker", "k8s"})


class SingleHostStorage(ValueError):
    """A table's warehouse or model store is reachable from one host only."""


def refuse_single_host(
    executor: str, table: str, url: str | None = None, model_store: str | None = None
) -> None:
    """Raise :class:`SingleHostStorage` when ``executor`` runs steps on other hosts and the
    warehouse ``url`` is a local file or ``model_store`` lives in one process."""
    if executor not in MULTI_HOST_EXECUTORS:
        return
    if url is not None:
        from impute_assets.warehouse.dialects import dialect_class
        from impute_assets.warehouse.url import mask_url, parse_url

        dialect = parse_url(url).get_backend_name()
        if dialect_class(dialect).local_file:
            raise SingleHostStorage(
                f"table {table!r}: the {executor!r} executor runs steps on other hosts, but the "
                f"warehouse {mask_url(url)} is a {dialect} file on this one (DuckDB also allows "
                "a single writer process); use a PostgreSQL or MySQL warehouse, or the "
                "multiprocess executor"
            )
    if model_store is not None and model_store.startswith("memory://"):
        raise SingleHostStorage(
            f"table {table!r}: the {executor!r} executor runs steps on other hosts, but the model "
            f"store {model_store!r} lives in one process; use a shared path or an object store "
            "URL (s3://, gs://, ...)"
        )


def refuse_single_host_tables(
    executor: str, specs: Iterable[TableSpec], urls: dict[str, str], model_store: str | None
) -> None:
    """:func:`refuse_single_host` for every table whose warehouse URL is known (``urls``: env
    var -> URL, as this process sees them)."""
    for spec in specs:
        refuse_single_host(executor, spec.table, urls.get(spec.url_env), model_store)
