"""Runtime clients as Dagster resources: the warehouse, the model store, the torch device."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

import dagster as dg
from pydantic import Field, PrivateAttr

from impute_assets.store import ModelStore
from impute_assets.store.model_store import DEFAULT_ROOT

if TYPE_CHECKING:
    from impute_assets.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """A SQL warehouse (DuckDB, SQLite, PostgreSQL, MySQL) reached through SQLAlchemy.

    Dagster opens one :class:`~impute_assets.warehouse.Warehouse` (one engine and its pool)
    per run step or sensor tick, shared by every table that step touches, and disposes of it
    when the step or tick ends (DuckDB's file lock is released with it).
    """

    url: str = Field(description="SQLAlchemy URL, e.g. duckdb:///warehouse.duckdb (use an EnvVar)")
    url_env: str | None = Field(
        None, description="the env var the URL comes from, named in connection errors"
    )
    _warehouse: Warehouse | None = PrivateAttr(default=None)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseResource]:
        """Open the warehouse for a step or tick, and dispose of its engine afterwards."""
        from impute_assets.warehouse import Warehouse

        with Warehouse(self.url, url_env=self.url_env) as warehouse:
            self._warehouse = warehouse
            try:
                yield self
            finally:
                self._warehouse = None

    def get_warehouse(self) -> Warehouse:
        """The warehouse opened for this step or tick."""
        if self._warehouse is None:
            raise RuntimeError(
                "WarehouseResource is opened by Dagster for each step or sensor tick; outside "
                "Dagster use `with impute_assets.warehouse.Warehouse(url) as warehouse:`"
            )
        return self._warehouse


class ModelStoreResource(dg.ConfigurableResource):
    """Where column models live: a local folder or any fsspec URL (s3://, gs://, memory://)."""

    root: str = Field(DEFAULT_ROOT, description="folder or fsspec URL of the model store")

    def get_store(self) -> ModelStore:
        """The :class:`impute_assets.store.ModelStore` at ``root``."""
        return ModelStore(self.root)


class TorchResource(dg.ConfigurableResource):
    """Which device and precision training and inference use."""

    device: Literal["auto", "cuda", "mps", "cpu"] = Field(
        "auto", description="auto picks cuda, then mps, then cpu"
    )
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto",
        description="auto uses bf16 on GPUs and on CPUs with native bf16 (AMX, AVX512-BF16), "
        "fp32 elsewhere",
    )
    threads: int | None = Field(None, description="CPU threads for torch (None: torch's default)")

    def config_overrides(self) -> dict[str, str]:
        """ImputerConfig fields this resource decides."""
        return {"device": self.device, "precision": self.precision}

    def apply_threads(self) -> None:
        """Set torch's CPU thread count when one is configured (imports torch)."""
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
