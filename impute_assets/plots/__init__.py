"""Plots of missingness and of imputed values, rendered to PNG bytes.

matplotlib is imported inside the functions (Agg backend), so importing this package is cheap.
"""

from impute_assets.plots.distributions import observed_vs_imputed
from impute_assets.plots.missingness import (
    before_after_missingness,
    missingness_heatmap,
    null_share_heatmap,
)

__all__ = [
    "before_after_missingness",
    "missingness_heatmap",
    "null_share_heatmap",
    "observed_vs_imputed",
]
