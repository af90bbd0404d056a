"""Where ``pool`` lived until 2026-12-06 (the docs' multiple-imputation example imported it from
here); kept so that code written from those docs still runs. Import it as
``from impute_assets import pool``."""

import warnings

from impute_assets.core.uncertainty.pooling import Pooled, pool

warnings.warn(
    "impute_assets.core.pooling moved: use `from impute_assets import pool`",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["Pooled", "pool"]
