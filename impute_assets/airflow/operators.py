"""Operators over the pipeline layer: train or reuse the models, fill and publish, or both.

``TrainModelsOperator`` and ``FillTableOperator`` split a run so training can go to a GPU
worker queue (``queue=GPU_QUEUE``) while fills run on CPU workers; the model store (a folder
or any fsspec URL every worker reaches) carries the models between them.
``ImputeTableOperator`` does both in one task. Each returns the pipeline's records as its XCom
(the counts and scores the Dagster metadata shows); none carries a URL or a password.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import BaseOperator

from impute_assets.airflow.assets import imputed_asset
from impute_assets.airflow.hooks import WarehouseHook
from impute_assets.pipeline.spec import TableSpec
from impute_assets.store.model_store import DEFAULT_ROOT

if TYPE_CHECKING:
    from airflow.sdk import Context

    from impute_assets.pipeline import TableRun

#: The worker queue the example DAG sends training to (run a GPU worker on it).
GPU_QUEUE = "gpu"
#: The fill's numbers put on the imputed table's asset event.
EVENT_FIELDS = ("partition", "rows", "cells_filled", "cells_left", "audit_rows")


class _TableOperator(BaseOperator):
    """What every operator here shares: the table spec, the warehouse, the store, the device.

    ``table`` and ``partition`` are templated; ``spec`` holds the rest of the table's
    :class:`~impute_assets.pipeline.TableSpec` (a TableSpec or its YAML/JSON data).
    ``columns`` narrows the run to some columns (default: the spec's, else every incomplete
    one, counted in the warehouse when the task runs). ``dry_run=True``: fills publish
    nothing; the would-be fills (with their audit columns) go to ``<output>__preview``, the
    output and audit tables stay untouched and no asset event is emitted.
    """

    template_fields: Sequence[str] = ("table", "partition")
    #: Whether the task publishes the imputed table (its asset is then a default outlet).
    publishes = True

    def __init__(
        self,
        *,
        table: str | None = None,
        spec: TableSpec | Mapping[str, Any] | None = None,
        conn_id: str = WarehouseHook.default_conn_name,
        partition: str | None = None,
        columns: Sequence[str] | None = None,
        model_store: str = DEFAULT_ROOT,
        device: Literal["auto", "cuda", "mps", "cpu"] = "auto",
        precision: Literal["auto", "fp32", "bf16"] = "auto",
        force_retrain: bool = False,
        dry_run: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(spec, TableSpec):
            data = spec.model_dump(mode="json", by_alias=True, exclude_unset=True)
        else:
            data = dict(spec or {})
        table = table or data.get("table")
        if not table:
            raise ValueError(f"task {kwargs.get('task_id')!r}: give a table (or a spec with one)")
        if "{{" not in table:
            # A bad spec fails when the DAG is parsed, naming the table and the key.
            parsed = TableSpec.parse({**data, "table": table})
            if self.publishes and not dry_run:
                kwargs.setdefault("outlets", [imputed_asset(parsed, conn_id)])
        super().__init__(**kwargs)
        self.table = table
        self.spec_data = data
        self.conn_id = conn_id
        self.partition = partition
        self.columns = list(columns) if columns is not None else None
        self.model_store = model_store
        self.device = device
        self.precision = precision
        self.force_retrain = force_retrain
        self.dry_run = dry_run

    def execute(self, context: Context) -> dict[str, Any]:
        from impute_assets.pipeline import TableRun
        from impute_assets.store import ModelStore

        spec = TableSpec.parse({**self.spec_data, "table": self.table})
        with WarehouseHook(self.conn_id).get_warehouse() as warehouse:
            run = TableRun(
                spec,
                warehouse,
                ModelStore(self.model_store),
                {"device": self.device, "precision": self.precision},
                self.log,
            )
            columns = self.columns if self.columns is not None else run.columns()
            return {"table": spec.table, **self.run_steps(run, columns, context)}

    def run_steps(self, run: TableRun, columns: list[str], context: Context) -> dict[str, Any]:
        """The task's steps on ``columns``; their records, as JSON-safe data."""
        raise NotImplementedError

    def train(self, run: TableRun, columns: list[str]) -> dict[str, Any]:
        """Train or reuse each column's model: ``{column: its model record}``; a column left
        without a model (free text, ids) as ``{"decision": "left", "reason", "version": None}``."""
        from impute_assets.pipeline.summary import model_data

        training = run.train_or_reuse(columns, self.force_retrain)
        left = {
            c: {"column": c, "decision": "left", "reason": why, "version": None}
            for c, why in training.left.items()
        }
        return {**{m.column: model_data(m) for m in training.models}, **left}

    def fill(
        self, run: TableRun, columns: list[str], context: Context, may_retrain: bool = False
    ) -> dict[str, Any]:
        """Fill, validate and publish the table (or the run's partition): the fill record.

        A failed validation raises (the task fails) and leaves the published table as it was;
        so does a stored model that no longer fits the rows, unless ``may_retrain``.
        A dry run publishes nothing and records no asset event. A table or partition with no
        rows skips the task, naming it.
        """
        from airflow.sdk.exceptions import AirflowSkipException

        from impute_assets.pipeline.filling import NothingToFill
        from impute_assets.pipeline.summary import fill_data, fill_line

        try:
            record = run.fill_and_publish(
                columns,
                self.partition_key(run.spec, context),
                run_id=context["run_id"],
                dry_run=self.dry_run,
                may_retrain=may_retrain and not self.dry_run,
            )
        except NothingToFill as empty:
            raise AirflowSkipException(str(empty)) from None
        self.log.info(fill_line(record))
        fill = fill_data(record)
        if not record.dry_run:
            self._record_event(run.spec, fill, context)
        return fill

    def partition_key(self, spec: TableSpec, context: Context) -> str | None:
        """The partition to fill: ``partition`` if set, else the run's own (a run triggered by
        a partitioned asset event), else none (the whole table)."""
        key = self.partition or context.get("partition_key") or None
        if key is not None and spec.partition is None:
            raise ValueError(
                f"table {spec.table!r}: partition {key!r} given, but the spec has no 'partition'"
            )
        return key

    def _record_event(self, spec: TableSpec, fill: Mapping[str, Any], context: Context) -> None:
        """Put the fill's counts (and its partition) on the imputed table's asset event."""
        asset = imputed_asset(spec, self.conn_id)
        if not any(getattr(o, "uri", None) == asset.uri for o in self.outlets):
            return
        event = context["outlet_events"][asset]
        event.extra = {k: fill[k] for k in EVENT_FIELDS}
        if fill["partition"]:
            event.add_partitions(fill["partition"])


class TrainModelsOperator(_TableOperator):
    """Train (or reuse, per the spec's reuse policy; ``force_retrain`` always trains) one model
    per column. Send it to a GPU worker with ``queue=GPU_QUEUE``.

    XCom: ``{"table", "models": {column: decision, reason, version, held-out score and
    baseline, ...}}`` (decision ``left`` for a column that gets no model, with why).
    """

    publishes = False

    def run_steps(self, run: TableRun, columns: list[str], context: Context) -> dict[str, Any]:
        return {"models": self.train(run, columns)}


class FillTableOperator(_TableOperator):
    """Fill one table or partition with the stored models, validate it, publish it.

    Write-audit-publish: a failed validation fails the task and the published table keeps its
    rows. A stored model that no longer fits the rows (a retyped input, target or input drift)
    fails the task before any work, saying what to retrain; it never fills with a stale model.
    XCom: ``{"table", "fill": {rows, cells_filled, cells_left, per column, ...}}``.
    """

    def run_steps(self, run: TableRun, columns: list[str], context: Context) -> dict[str, Any]:
        return {"fill": self.fill(run, columns, context)}


class ImputeTableOperator(_TableOperator):
    """Train or reuse, fill, validate and publish one table (or one partition) in one task.

    XCom: ``{"table", "models": {...}, "fill": {...}}``, as the two separate operators return.
    """

    def run_steps(self, run: TableRun, columns: list[str], context: Context) -> dict[str, Any]:
        return {
            "models": self.train(run, columns),
            "fill": self.fill(run, columns, context, may_retrain=True),
        }
