"""Hand the allocator's free memory back to the operating system between a run's stages.

A stage that builds and drops many mid-sized objects (a training sample's frames, 600,000
audit rows' texts) leaves its freed memory in glibc's heap, still resident: the next stage's
peak then sits on top of it. ``malloc_trim`` returns the free pages (a 1M-row end-to-end run:
~150 MB after training). Elsewhere than glibc it does nothing. Arrow's own allocator
(mimalloc or jemalloc) keeps freed pages too: they are handed back alongside.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Return the heap's (and Arrow's memory pool's) free pages to the operating system; False
    where the heap's cannot be (not glibc). Objects still referenced are untouched: call it
    after dropping them."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
