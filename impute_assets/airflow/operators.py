"""Operators over the pipeline layer: train or reuse the models, fill and publish, or both.

``TrainModelsOperator`` and ``FillTableOperator`` split a run so training can go to a GPU
worker queue (``queue=GPU_QUEUE``) while fills run on CPU workers; the model store (a folder
or any fsspec URL every worker reaches) carries the models between them.
``ImputeTableOperator`` does both in one task. Each returns the pipeline's summary as its XCom
(the same counts and scores as the Dagster metadata); none carries a URL or a password.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow.sdk import BaseOperator

from impute_assets.airflow.assets import imputed_asset
from impute_assets.airflow.hooks import WarehouseHook
from impute_assets.pipeline.spec import TableSpec
from impute_assets.store import ModelStore
from impute_assets.store.model_store import DEFAULT_ROOT

if TYPE_CHECKING:
    from airflow.sdk import Context

    from impute_assets.warehouse import Warehouse

#: The worker queue the example DAG sends training to (run a GPU worker on it).
GPU_QUEUE = "gpu"


class _TableOperator(BaseOperator):
    """What every operator here shares: the table spec, the warehouse, the store, the device.

    ``table`` and ``partition`` are templated; ``spec`` holds the rest of the table's
    :class:`~impute_assets.pipeline.TableSpec` (a TableSpec or its YAML/JSON data).
    """

    template_fields: Sequence[str] = ("table", "partition")
    #: Whether the task updates the imputed table (its asset is then a default outlet).
    updates_imputed_table = True

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
            if self.updates_imputed_table:
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

    def table_spec(self) -> TableSpec:
        """The spec with the (rendered) table name; errors name the table and the key."""
        return TableSpec.parse({**self.spec_data, "table": self.table})

    def device_config(self) -> dict[str, str]:
        """ImputerConfig fields this task decides."""
        return {"device": self.device, "precision": self.precision}

    def columns_to_impute(self, spec: TableSpec, warehouse: Warehouse) -> list[str]:
        """``columns`` if given, else the spec's, else every incomplete one (asked in SQL)."""
        from impute_assets.pipeline.columns import columns_to_impute

        return self.columns if self.columns is not None else columns_to_impute(spec, warehouse)

    def partition_key(self, spec: TableSpec, context: Context) -> str | None:
        """The partition to fill: ``partition`` if set, else the run's partition (a run
        triggered by a partitioned asset event), else none (the whole table)."""
        key = self.partition or context.get("partition_key") or None
        if key is not None and spec.partition is None:
            raise ValueError(f"table {spec.table!r}: partition {key!r} given, but the spec has no "
                             "'partition'")
        return key

    def train(self, spec: TableSpec, warehouse: Warehouse, columns: list[str]) -> dict[str, Any]:
        """Train or reuse each column's model; the per-column summaries."""
        from impute_assets.pipeline.summary import model_summary
        from impute_assets.pipeline.training import (
            plan_columns,
            read_training_frame,
            train_or_reuse,
        )

        frame = read_training_frame(spec, warehouse)
        plans = plan_columns(spec, frame, columns, self.device_config())
        store = ModelStore(self.model_store)
        outcomes = train_or_reuse(spec, frame, plans, store, self.device_config(), self.log)
        return {c: model_summary(outcomes[c]) for c in columns}

    def fill(
        self, spec: TableSpec, warehouse: Warehouse, columns: list[str], context: Context
    ) -> dict[str, Any]:
        """Fill, validate and publish the table (or the run's partition); the fill summary.

        A failed validation raises (the task fails) and leaves the published table as it was.
        """
        from impute_assets.pipeline.filling import fill_and_publish
        from impute_assets.pipeline.summary import fill_summary

        key = self.partition_key(spec, context)
        outcome = fill_and_publish(spec, warehouse, ModelStore(self.model_store), columns,
                                   partition_key=key, device=self.device_config(),
                                   run_id=context["run_id"])
        summary = {**fill_summary(spec, outcome), "partition": key}
        self.log.info("%s%s: filled %d cells, %d left", spec.output_name,
                      f" [{key}]" if key else "", summary["cells_filled"], summary["cells_left"])
        self._record_outlet(spec, summary, context)
        return summary

    def _record_outlet(self, spec: TableSpec, summary: Mapping[str, Any], context: Context) -> None:
        """Put the fill's counts (and partition) on the imputed table's asset event."""
        asset = imputed_asset(spec, self.conn_id)
        if not any(getattr(o, "uri", None) == asset.uri for o in self.outlets):
            return
        event = context["outlet_events"][asset]
        event.extra = {k: summary[k] for k in ("row_count", "cells_filled", "cells_left",
                                               "audit_rows", "partition")}
        if summary["partition"]:
            event.add_partitions(summary["partition"])


class TrainModelsOperator(_TableOperator):
    """Train (or reuse, per the spec's reuse policy) one model per incomplete column.

    Send it to a GPU worker with ``queue=GPU_QUEUE``. XCom: ``{"table", "models": {column:
    decision, reason, version, held-out score and baseline, ...}}``.
    """

    updates_imputed_table = False

    def execute(self, context: Context) -> dict[str, Any]:
        spec = self.table_spec()
        with WarehouseHook(self.conn_id).get_warehouse() as warehouse:
            models = self.train(spec, warehouse, self.columns_to_impute(spec, warehouse))
        return {"table": spec.table, "models": models}


class FillTableOperator(_TableOperator):
    """Fill one table or partition with the stored models, validate it, publish it.

    Write-audit-publish: a failed validation fails the task and the published table keeps its
    rows. XCom: ``{"table", "fill": {row_count, cells_filled, cells_left, per column, ...}}``.
    """

    def execute(self, context: Context) -> dict[str, Any]:
        spec = self.table_spec()
        with WarehouseHook(self.conn_id).get_warehouse() as warehouse:
            fill = self.fill(spec, warehouse, self.columns_to_impute(spec, warehouse), context)
        return {"table": spec.table, "fill": fill}


class ImputeTableOperator(_TableOperator):
    """Train or reuse, fill, validate and publish one table (or one partition) in one task.

    XCom: ``{"table", "models": {...}, "fill": {...}}``, as the two separate operators return.
    """

    def execute(self, context: Context) -> dict[str, Any]:
        spec = self.table_spec()
        with WarehouseHook(self.conn_id).get_warehouse() as warehouse:
            columns = self.columns_to_impute(spec, warehouse)
            models = self.train(spec, warehouse, columns)
            fill = self.fill(spec, warehouse, columns, context)
        return {"table": spec.table, "models": models, "fill": fill}
