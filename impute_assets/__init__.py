"""impute_assets: keep warehouse tables complete with per-column deep-learning imputers.

The public names load lazily, so ``import impute_assets`` stays cheap: torch is imported the
first time an imputer is used, never by the import itself (Dagster re-imports code locations
in every step process).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from impute_assets.core.config import ImputerConfig
    from impute_assets.core.datawig.simple import SimpleImputer
    from impute_assets.core.fitting.column_model import ColumnModel
    from impute_assets.core.imputer import Imputer
    from impute_assets.core.kinds import ColumnKind
    from impute_assets.core.result import ColumnReport, ImputationResult
    from impute_assets.core.uncertainty.pooling import Pooled, pool

_EXPORTS = {
    "ColumnKind": "impute_assets.core.kinds",
    "ColumnModel": "impute_assets.core.fitting.column_model",
    "ColumnReport": "impute_assets.core.result",
    "ImputationResult": "impute_assets.core.result",
    "Imputer": "impute_assets.core.imputer",
    "ImputerConfig": "impute_assets.core.config",
    "Pooled": "impute_assets.core.uncertainty.pooling",
    "SimpleImputer": "impute_assets.core.datawig.simple",
    "pool": "impute_assets.core.uncertainty.pooling",
}

__all__ = [
    "ColumnKind",
    "ColumnModel",
    "ColumnReport",
    "ImputationResult",
    "Imputer",
    "ImputerConfig",
    "Pooled",
    "SimpleImputer",
    "pool",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on every access: fingerprints follow an upgrade in place
        from impute_assets.core.version import library_version

        return library_version()
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'impute_assets' has no attribute {name!r}")
