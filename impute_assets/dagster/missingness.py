"""Null counts from the warehouse's SQL missingness profile, in the shapes the assets use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from impute_assets.warehouse.profile import MissingProfile


def null_counts(profile: MissingProfile) -> tuple[int, dict[str, int]]:
    """Total rows and missing cells (NULL, and NaN in floats) per column."""
    return int(profile.rows), {str(c): int(n) for c, n in profile.missing.items()}


def partition_shares(profile: MissingProfile, columns: list[str]) -> pd.DataFrame | None:
    """Share of missing cells per partition value (rows) and column, when profiled per partition."""
    if not profile.partitions:
        return None
    shares = pd.DataFrame(
        {
            str(value): {c: part.missing.get(c, 0) / max(part.rows, 1) for c in columns}
            for value, part in sorted(profile.partitions.items(), key=lambda item: str(item[0]))
        }
    ).T
    shares.index.name = profile.partition_column
    return shares
