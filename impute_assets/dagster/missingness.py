"""Null counts from the warehouse's SQL missingness profile, in the shapes the assets use."""

from __future__ import annotations

import pandas as pd


def null_counts(profile: object) -> tuple[int, dict[str, int]]:
    """Total rows and nulls per column from a warehouse ``MissingProfile``."""
    return int(profile.rows), {str(c): int(n) for c, n in profile.nulls.items()}  # type: ignore[attr-defined]


def partition_shares(profile: object, columns: list[str]) -> pd.DataFrame | None:
    """Null share per partition value and column, when the profile was made per partition."""
    table = getattr(profile, "by_partition", None)
    if table is None:
        return None
    return table[columns].div(table["rows"].clip(lower=1), axis=0)
