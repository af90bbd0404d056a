"""Writes that a reader never sees half done: each file goes to a hidden temporary name beside
its destination and is renamed into place (an atomic rename on local disks; on object stores,
where ``mv`` is copy + delete, the temporary name still keeps a torn upload out of sight)."""

from __future__ import annotations

import hashlib
import posixpath
import uuid
from typing import Any

#: Marks the temporary files :func:`write_bytes` and :func:`put_file` leave if killed midway.
TEMP_MARK = ".tmp-"


def write_bytes(fs: Any, path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` on the fsspec filesystem ``fs`` atomically."""
    temporary = _temporary(fs, path)
    fs.pipe_file(temporary, data)
    fs.mv(temporary, path)


def put_file(fs: Any, local: str, path: str) -> None:
    """Upload the local file ``local`` to ``path`` on ``fs`` atomically."""
    temporary = _temporary(fs, path)
    fs.put_file(local, temporary)
    fs.mv(temporary, path)


def sha256_of(fs: Any, path: str) -> str:
    """The hex sha256 of a file on the fsspec filesystem ``fs``, read in blocks."""
    digest = hashlib.sha256()
    with fs.open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _temporary(fs: Any, path: str) -> str:
    folder, name = posixpath.split(path)
    fs.makedirs(folder, exist_ok=True)
    return posixpath.join(folder, f".{name}{TEMP_MARK}{uuid.uuid4().hex[:12]}")
