"""Per-column work spread over the CPU's cores: one single-threaded worker per torch thread.

Once the table-level networks have trained, each column's candidates (ridge, kNN, LightGBM,
the blend), calibration and permutation importance depend on no other column's. They run side
by side on ``torch.get_num_threads()`` worker threads, each single-threaded (torch set to one
thread meanwhile, LightGBM always one): LightGBM, numpy and torch release the GIL in their
kernels, and a single-threaded fit never waits at an OpenMP barrier. LightGBM at two threads
per fit instead (20,000 x 40, 120 rounds; benchmarks/results/HISTORY.md, 2026-12-06) was 1.7x
faster on an idle 2-core machine only while OpenMP threads spin (0.47 -> 0.27 s), and then 5x
slower beside one busy process (1.9 -> 10.3 s); with ``OMP_WAIT_POLICY=PASSIVE``, which the
engine sets so that torch's threads sleep, it was slower even idle (0.47 -> 0.75 s). Two fits
of one thread each degrade as any two processes do.

Filling predicts its columns one after the other: side by side, each worker's allocations
live in its own glibc arena, and a 1M x 20 fill's peak rose by ~290 MB (1,662 -> 1,951 MB;
``MALLOC_ARENA_MAX=2`` took it back) while its wall time did not move (7.7 s both).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_columns(function: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """``[function(item) for item in items]``, in that order, on ``torch.get_num_threads()``
    single-threaded workers (in the calling thread when that is one, or one item)."""
    threads = torch.get_num_threads()
    workers = min(threads, len(items))
    if workers <= 1:
        return [function(item) for item in items]
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="impute-column") as pool:
            return list(pool.map(function, items))
    finally:
        torch.set_num_threads(threads)
