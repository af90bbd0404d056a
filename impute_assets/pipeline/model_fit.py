"""Every run that fills checks its stored models against the rows it fills (no orchestrator
here): a stale model is retrained where the run may train, else the fill is refused, saying why
and what to run."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from impute_assets.pipeline.spec import TableSpec
from impute_assets.store import ModelStore, StoredModel
from impute_assets.store.fitness import PsiMemo

#: What a user runs to retrain a table's models, per face.
RETRAIN_HINT = (
    "retrain them: materialize the table's model assets with force_retrain (Dagster), "
    "`impute-assets run --force-retrain` (CLI), or TrainModelsOperator(force_retrain=True) "
    "(Airflow); then fill again"
)


class StaleModels(RuntimeError):
    """Stored models no longer fit the rows a run fills; nothing was published."""

    def __init__(self, table: str, partition_key: str | None, stale: Mapping[str, str]) -> None:
        where = f" partition {partition_key!r}" if partition_key is not None else ""
        lines = "\n".join(f"  {column}: {reason}" for column, reason in sorted(stale.items()))
        super().__init__(
            f"table {table!r}{where}: the stored models of {sorted(stale)} no longer fit the "
            f"rows being filled, nothing published:\n{lines}\n{RETRAIN_HINT}"
        )
        self.stale = dict(stale)


def columns_with_models(
    spec: TableSpec, store: ModelStore, columns: list[str]
) -> dict[str, StoredModel]:
    """The latest stored model of each column that has one."""
    found = {c: store.latest(spec.store_name, c) for c in columns}
    return {c: stored for c, stored in found.items() if stored is not None}


def stale_models(
    spec: TableSpec,
    store: ModelStore,
    stored: Mapping[str, StoredModel],
    rows: pd.DataFrame,
    whole_table: bool = True,
) -> dict[str, str]:
    """Each column whose stored model does not fit ``rows`` (the rows to fill), with why.

    Input drift is judged on whole-table fills only (see :func:`~impute_assets.store.fitness`).
    """
    stale = {}
    measured: PsiMemo = {}  # each input's PSI on ``rows``, once for all the models reading it
    for column, model in stored.items():
        fit = store.fitness(model, rows, spec.reuse, input_drift=whole_table, measured=measured)
        if not fit.fits:
            stale[column] = f"version {model.version}: " + "; ".join(fit.problems)
    return stale


def fitting_models(
    spec: TableSpec,
    store: ModelStore,
    columns: list[str],
    rows: pd.DataFrame,
    partition_key: str | None,
    retrain: Callable[[list[str]], object] | None,
) -> dict[str, StoredModel]:
    """The latest stored model of each of ``columns`` that has one, each checked against
    ``rows``; stale ones are retrained with ``retrain`` (when given) and checked again.

    Raises:
        StaleModels: a model still does not fit (naming column, reason and what to run).
    """
    stored = columns_with_models(spec, store, columns)
    whole = partition_key is None
    stale = stale_models(spec, store, stored, rows, whole)
    if stale and retrain is not None:
        retrain(sorted(stale))
        stored = columns_with_models(spec, store, columns)
        stale = stale_models(spec, store, stored, rows, whole)
    if stale:
        raise StaleModels(spec.table, partition_key, stale)
    return stored
