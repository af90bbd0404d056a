"""Storage keys for table and column names that may contain anything.

Names come from warehouses: they can hold slashes, dots, spaces, quotes or differ only in case.
A key is a readable, filesystem-safe slug plus a hash of the exact name, so two names never share
a folder and no name can climb out of the store's root.
"""

from __future__ import annotations

import hashlib
import re

#: Longest readable part of a key (the hash keeps keys unique when names are truncated).
MAX_SLUG = 48
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def name_key(name: str) -> str:
    """``name`` as one safe path segment, e.g. ``'my table/x'`` -> ``'my_table_x-1a2b3c4d5e'``."""
    if not name:
        raise ValueError("an empty name cannot be a store key")
    slug = _UNSAFE.sub("_", name).strip("_")[:MAX_SLUG] or "_"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}"
