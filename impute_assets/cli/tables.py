"""Reading and writing the table files the commands take: parquet or CSV, chosen by suffix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SUFFIXES = (".parquet", ".pq", ".csv")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a parquet or CSV file; errors name the file and the suffixes understood."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"impute-assets: no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path)
    raise SystemExit(f"impute-assets: cannot read {path}: use one of {', '.join(SUFFIXES)}")
