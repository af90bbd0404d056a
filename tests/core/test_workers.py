"""Per-column work on worker threads: results in the items' order, torch single-threaded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import torch

from impute_assets.core.workers import map_columns


@pytest.fixture
def two_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_map_columns_keeps_order_across_worker_threads(two_threads: None) -> None:
    seen: list[str] = []

    def work(item: int) -> int:
        time.sleep(0.02 * (3 - item))  # the first items finish last
        seen.append(threading.current_thread().name)
        assert torch.get_num_threads() == 1  # each worker single-threaded meanwhile
        return item * 10

    assert map_columns(work, [0, 1, 2, 3]) == [0, 10, 20, 30]
    assert all(name.startswith("impute-column") for name in seen)
    assert torch.get_num_threads() == 2  # restored
