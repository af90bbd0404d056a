"""Runtime clients as Dagster resources: the warehouse, the model store, the torch device."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import dagster as dg
from pydantic import Field

from impute_assets.store import ModelStore
from impute_assets.store.model_store import DEFAULT_ROOT

if TYPE_CHECKING:
    from impute_assets.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """A SQL warehouse (DuckDB, SQLite, PostgreSQL, MySQL) reached through SQLAlchemy."""

    url: str = Field(description="SQLAlchemy URL, e.g. duckdb:///warehouse.duckdb (use an EnvVar)")

    def get_warehouse(self) -> Warehouse:
        """A :class:`impute_assets.warehouse.Warehouse` on this URL."""
        from impute_assets.warehouse import Warehouse

        return Warehouse(self.url)


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
        "auto", description="auto uses bf16 on GPUs that support it, fp32 elsewhere"
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
