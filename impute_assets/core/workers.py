"""Per-column work spread over the CPU's cores: one single-threaded worker per torch thread.

Each column's candidates that need no network (ridge, kNN, LightGBM, the forest) fit while the
table-level networks train (:func:`beside`); once they have, its blend, choice, calibration and
permutation importance depend on no other column's (:func:`map_columns`). Columns run side by
side on worker threads, each single-threaded (torch set to one thread meanwhile, LightGBM
always one): LightGBM, numpy and torch release the GIL in their kernels, and a
single-threaded fit never waits at an OpenMP barrier.

Beside the networks of a small table, the workers take half the threads and the networks the
rest: small networks gain little from a second thread (a 2,000 x 15 table's trained in 7.2 s at
two threads, 7.6 s at one), the LightGBM fits all they are given. Tall tables, whose networks
use every thread, train them first (see :mod:`impute_assets.core.fitting.fit`).

LightGBM at two threads per fit instead (20,000 x 40, 120 rounds; benchmarks/results/HISTORY.md, 2026-12-06) was 1.7x
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
Job = TypeVar("Job")


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


def beside(
    job: Callable[[], Job], function: Callable[[Item], Result], items: Sequence[Item]
) -> tuple[Job, list[Result]]:
    """``job()`` in the calling thread, on half of ``torch.get_num_threads()`` threads, while
    ``[function(item) for item in items]`` (in that order) runs beside it on single-threaded
    workers, as many as the other half. With one thread, one after the other."""
    threads = torch.get_num_threads()
    workers = min(threads // 2, len(items))
    if workers < 1:
        return job(), [function(item) for item in items]

    def single(item: Item) -> Result:
        torch.set_num_threads(1)  # this worker's own setting: a thread's count is its own
        return function(item)

    torch.set_num_threads(threads - workers)
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="impute-column") as pool:
            results = pool.map(single, items)
            return job(), list(results)
    finally:
        torch.set_num_threads(threads)
