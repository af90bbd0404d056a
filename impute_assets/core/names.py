"""Names from a warehouse made into names other systems accept: the one home of those rules.

Table and column names may hold anything (``Culmen Length (mm)``, ``% change``, ``Délta``,
slashes, quotes, 200 characters). Each place they are written has its own alphabet, length
limit and need for uniqueness, so the rules differ, one function each; the names they produce
are stored (model store folders, saved imputers, Dagster asset keys and run tags, staging
tables), so a rule may never change:

* :func:`store_key`: a model store path segment. ``[A-Za-z0-9_-]``, a readable part of at most
  48 characters and 10 hex digits of the name's SHA-256: two names never share a folder (also
  on case-insensitive file systems, and when cut short) and no name climbs out of the root.
* :func:`dagster_slug`: a Dagster name for a name Dagster refuses (``dagster.translator``
  keeps a valid one as it is). ASCII only: accents are folded (``Délta`` -> ``Delta``), not
  dropped; ``[A-Za-z0-9_]``, at most 48 characters and 8 hex digits, under the 63 characters
  Dagster allows in a tag value.
* :func:`folder_name`: a column's folder in a saved imputer. ``[A-Za-z0-9_.-]``, at most 40
  characters, no hash: the folder is prefixed by the column's position, which keeps it unique.
* :func:`table_tag`: 6 hex digits of a target table's name in its staging tables' names: they
  stay short (any engine's identifier limit) and plain, and a sweep finds a table's staging
  tables by it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

#: The readable part of a store key or Dagster name is cut to this length.
SLUG_LENGTH = 48
_STORE_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_DAGSTER_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
_FOLDER_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def store_key(name: str) -> str:
    """``name`` as one safe path segment, e.g. ``'my table/x'`` -> ``'my_table_x-533e4c607e'``."""
    if not name:
        raise ValueError("an empty name cannot be a store key")
    slug = _STORE_UNSAFE.sub("_", name).strip("_")[:SLUG_LENGTH] or "_"
    return f"{slug}-{_sha256(name.encode('utf-8'), 10)}"


def dagster_slug(name: str) -> str:
    """``name`` as an ASCII slug and a hash of it, e.g. ``'Culmen Length (mm)'`` ->
    ``'Culmen_Length_mm_baf2eecc'`` (``n_<hash>`` when no letter or digit is left)."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _DAGSTER_UNSAFE.sub("_", ascii_text).strip("_")[:SLUG_LENGTH].rstrip("_")
    digest = _sha256(name.encode("utf-8", "surrogatepass"), 8)
    return f"{slug}_{digest}" if slug else f"n_{digest}"


def folder_name(name: object) -> str:
    """A column name as a folder name, e.g. ``'% change'`` -> ``'_change'``."""
    return _FOLDER_UNSAFE.sub("_", str(name))[:40] or "column"


def table_tag(table: str) -> str:
    """A short hash of a table's name, e.g. ``'orders'`` -> ``'965840'``."""
    return hashlib.sha1(table.encode()).hexdigest()[:6]


def _sha256(data: bytes, digits: int) -> str:
    return hashlib.sha256(data).hexdigest()[:digits]
