"""``release_free_memory`` hands freed heap pages back to the operating system (glibc)."""

from __future__ import annotations

import gc

import pytest

from impute_assets.core.memory import _malloc_trim, release_free_memory


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(_malloc_trim() is None, reason="no glibc malloc_trim here")
def test_freed_small_objects_stop_being_resident():
    gc.collect()
    release_free_memory()
    before = _resident_mb()
    # 2 kB strings come from the heap (not mmap): freeing them all but the last leaves the
    # heap's top in use, so the C library keeps the pages until it is asked to trim
    texts = [str(i).rjust(2048) for i in range(100_000)]  # ~200 MB
    keep = texts[-1]
    del texts
    gc.collect()
    held = _resident_mb()
    assert release_free_memory()
    assert held - _resident_mb() > 100, (before, held, _resident_mb())
    assert keep.strip() == "99999"
