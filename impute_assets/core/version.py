"""The installed impute-assets version: part of every model fingerprint and code version."""

from __future__ import annotations

import importlib.metadata


def library_version() -> str:
    """The installed distribution's version (``0+unknown`` when run from an uninstalled tree)."""
    try:
        return importlib.metadata.version("impute-assets")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
