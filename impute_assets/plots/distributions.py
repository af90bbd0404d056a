"""Does the filled data look like the observed data? One column, two distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from impute_assets.core.datetimes import SECONDS_PER_DAY, epoch_seconds
from impute_assets.plots.figure import png_figure

#: Categorical plots show the most frequent categories only.
TOP_CATEGORIES = 15
HISTOGRAM_BINS = 30


def observed_vs_imputed(values: pd.Series, imputed: pd.Series, title: str | None = None) -> bytes:
    """Distribution of the observed values of a column against the values filled in it.

    ``values`` is the filled column; ``imputed`` is True where a cell was filled. Numbers and
    datetimes get overlaid density histograms, everything else bars of category shares.
    """
    imputed = imputed.reindex(values.index, fill_value=False).astype(bool)
    observed, filled = values[~imputed].dropna(), values[imputed].dropna()
    title = title or f"{values.name}: observed ({len(observed)}) vs imputed ({len(filled)})"
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _histograms(_as_days(observed), _as_days(filled), title, xlabel="days since epoch")
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return _histograms(
            observed.astype(float), filled.astype(float), title, xlabel=str(values.name)
        )
    return _category_bars(observed.astype(str), filled.astype(str), title)


def _as_days(series: pd.Series) -> pd.Series:
    return epoch_seconds(series) / SECONDS_PER_DAY


def _histograms(observed: pd.Series, filled: pd.Series, title: str, xlabel: str) -> bytes:
    both = pd.concat([observed, filled])
    edges = np.histogram_bin_edges(both, bins=HISTOGRAM_BINS) if len(both) else HISTOGRAM_BINS
    with png_figure() as (_, axes, buffer):
        for series, label in ((observed, "observed"), (filled, "imputed")):
            if len(series):
                axes.hist(series, bins=edges, density=True, alpha=0.55, label=label)
        axes.set_xlabel(xlabel)
        axes.set_ylabel("density")
        axes.set_title(title)
        axes.legend()
    return buffer.getvalue()


def _category_bars(observed: pd.Series, filled: pd.Series, title: str) -> bytes:
    shares = pd.DataFrame(
        {
            "observed": observed.value_counts(normalize=True),
            "imputed": filled.value_counts(normalize=True),
        }
    ).fillna(0.0)
    shares = shares.loc[shares.max(axis=1).sort_values(ascending=False).index[:TOP_CATEGORIES]]
    positions = np.arange(len(shares))
    with png_figure(width=max(4.0, 0.5 * len(shares) + 2)) as (_, axes, buffer):
        width = 0.4
        axes.bar(positions - width / 2, shares["observed"], width, label="observed")
        axes.bar(positions + width / 2, shares["imputed"], width, label="imputed")
        axes.set_xticks(positions, [str(i)[:20] for i in shares.index], rotation=45, ha="right")
        axes.set_ylabel("share")
        axes.set_title(title)
        axes.legend()
    return buffer.getvalue()
