"""``TableRun``: one table's whole run, detect -> train_or_reuse -> fill_and_publish.

The entry point for faces that run a table end to end (the ``impute-assets run`` command, an
Airflow task); Dagster runs the same steps as separate assets.

Example:
    >>> from impute_assets.pipeline import TableSpec
    >>> from impute_assets.pipeline.summary import fill_line
    >>> from impute_assets.store import ModelStore
    >>> from impute_assets.warehouse import Warehouse
    >>> warehouse = Warehouse("duckdb:///warehouse.duckdb")
    >>> _ = warehouse.publish(frame.assign(id=range(len(frame))), "readings")
    >>> spec = TableSpec(table="readings", key=["id"])
    >>> record = TableRun(spec, warehouse, ModelStore("models")).run()
    >>> print(fill_line(record.fills[0]))  # doctest: +ELLIPSIS
    readings_imputed: 200 rows, 27 cells filled, 0 left, 27 audit rows in readings_imputed_audit, ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from impute_assets.pipeline.chunks import OnRows
from impute_assets.pipeline.context import TableContext
from impute_assets.pipeline.detect import columns_to_impute, detect
from impute_assets.pipeline.filling import NothingToFill, fill_and_publish
from impute_assets.pipeline.partitions import (
    check_partition_values,
    partition_row_counts,
    uncovered_line,
    uncovered_rows,
)
from impute_assets.pipeline.records import FillRecord, MissingCounts, TableRunRecord, TrainRecord
from impute_assets.pipeline.training import train_or_reuse

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableRun(TableContext):
    """A table's steps, each on its own or all in order (:meth:`run`, which describes the
    source table once for all of them)."""

    log: logging.Logger | Any = _log

    def detect(self) -> MissingCounts:
        """Missing cells per column, counted in the warehouse."""
        return detect(self.spec, self.warehouse, source=self.source)

    def columns(self, missing: MissingCounts | None = None) -> list[str]:
        """The columns to impute: the spec's, or every incomplete one (detected if needed)."""
        if self.spec.columns is None and missing is None:
            missing = self.detect()
        return columns_to_impute(self.spec, missing)

    def partition_keys(self) -> list[str] | None:
        """Every partition key of the source table (None when it is not partitioned), then the
        output's whose source rows are all gone (a fill of each deletes its output and audit
        rows); rows no time window covers are left out (:meth:`uncovered`)."""
        part = self.spec.partition
        if part is None:
            return None
        counts = partition_row_counts(self.spec, self.warehouse, source=self.source)
        keys = [k for k in counts if k not in uncovered_rows(part, counts)]
        return keys + [k for k in self._output_keys() if k not in counts]

    def _output_keys(self) -> list[str]:
        """The output table's partition keys ([] before its first publish)."""
        with self.warehouse.engine.connect() as conn:
            if not self.warehouse.dialect.has_table(
                conn, self.spec.output_name, self.spec.db_schema
            ):
                return []
        output = self.spec.output_name
        return list(partition_row_counts(self.spec, self.warehouse, output, self.source))

    def uncovered(self) -> dict[str, int]:
        """Rows of a time-window table no window covers, per value: never filled, reported."""
        part = self.spec.partition
        if part is None:
            return {}
        return uncovered_rows(
            part, partition_row_counts(self.spec, self.warehouse, source=self.source)
        )

    def train_or_reuse(self, columns: Iterable[str], force_retrain: bool = False) -> TrainRecord:
        """Each column's model, reused when the store's policy allows, else trained."""
        return train_or_reuse(self, columns, force_retrain)

    def fill_and_publish(
        self,
        columns: list[str],
        partition_key: str | None = None,
        run_id: str = "",
        on_rows: OnRows | None = None,
        dry_run: bool = False,
        may_retrain: bool = False,
    ) -> FillRecord:
        """Fill the table (or one partition) and publish it write-audit-publish (``dry_run``:
        everything but the publish; the would-be fills go to the preview table).

        A stored model that no longer fits the rows is retrained when ``may_retrain``, else
        the fill is refused (:class:`~impute_assets.pipeline.model_fit.StaleModels`).
        """
        retrain = (
            (lambda stale: self.train_or_reuse(stale, force_retrain=True)) if may_retrain else None
        )
        return fill_and_publish(self, columns, partition_key, run_id, on_rows, dry_run, retrain)

    def run(
        self,
        partitions: Iterable[str] | None = None,
        force_retrain: bool = False,
        run_id: str = "",
        on_step: Callable[[str], None] | None = None,
        on_rows: OnRows | None = None,
        dry_run: bool = False,
    ) -> TableRunRecord:
        """Detect, train or reuse, then fill and publish every partition (or the given ones).

        ``on_step`` is called with a short label before each step, ``on_rows`` with (rows
        filled, rows in the partition) after each chunk of a fill (for progress bars).
        ``dry_run``: publish nothing; each fill's would-be cells go to the preview table.
        """
        step = on_step or (lambda label: None)
        table = self.described()  # once: every step below reads this description
        # first: partition values a collation merges are refused before any work
        keys = list(partitions) if partitions is not None else table.partition_keys()
        if partitions is not None:
            check_partition_values(self.spec, self.warehouse, table.source)
        step("detect")
        missing = table.detect()
        columns = columns_to_impute(self.spec, missing)
        step("train or reuse")
        training = table.train_or_reuse(columns, force_retrain)
        uncovered = table.uncovered() if partitions is None else {}
        if uncovered:
            self.log.warning(uncovered_line(self.spec, uncovered))
        fills = []
        for key in keys if keys is not None else [None]:
            step(f"fill {key}" if key is not None else "fill")
            try:
                fills.append(
                    table.fill_and_publish(
                        columns, key, run_id, on_rows, dry_run, may_retrain=not dry_run
                    )
                )
            except NothingToFill as empty:
                self.log.info(str(empty))
        return TableRunRecord(self.spec.table, missing, training, tuple(fills), uncovered)

    def steps(self, partitions: Iterable[str] | None = None) -> int:
        """How many ``on_step`` calls :meth:`run` makes (the length of a progress bar)."""
        keys = list(partitions) if partitions is not None else self.partition_keys()
        return 2 + (len(keys) if keys is not None else 1)
