"""Reading and writing the table files the CLI takes (parquet or CSV, by extension)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SUFFIXES = (".parquet", ".pq", ".csv")


def read_frame(path: str | Path) -> pd.DataFrame:
    """Load a parquet or CSV file, naming the file when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"error: no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path)
    raise SystemExit(f"error: {path}: unsupported file type {suffix!r}; use one of {SUFFIXES}")


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write parquet or CSV, by the extension of ``path``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        raise SystemExit(
            f"error: {path}: unsupported output type {suffix!r}; use one of {SUFFIXES}"
        )
