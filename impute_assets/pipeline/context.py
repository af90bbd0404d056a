"""``TableContext``: what a table's steps run with, passed as one record instead of five args."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Self

from impute_assets.pipeline.spec import TableSpec

if TYPE_CHECKING:
    from impute_assets.store import ModelStore
    from impute_assets.warehouse import TableDescription, Warehouse

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableContext:
    """A table's spec with the warehouse, model store and device its steps run on.

    ``source``: the source table's description, when a run has described it (once, see
    :meth:`described`); the steps then pass it to the warehouse instead of the table's name, so
    the table is not described again at each step.
    """

    spec: TableSpec
    warehouse: Warehouse
    store: ModelStore
    #: ImputerConfig fields the device decides (``device``, ``precision``).
    device: Mapping[str, Any] = field(default_factory=dict)
    log: logging.Logger | Any = _log
    source: TableDescription | None = None

    def described(self) -> Self:
        """This context with the source table described (once: kept if it already is)."""
        if self.source is not None:
            return self
        return replace(self, source=self.warehouse.describe(self.spec.table, self.spec.db_schema))


def source_table(spec: TableSpec, source: TableDescription | None) -> str | TableDescription:
    """What the warehouse's methods get as the source table: its description when the caller
    has one (nothing described again), else the spec's table name."""
    return source if source is not None else spec.table
