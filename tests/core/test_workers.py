"""Per-column work on worker threads: same results, in column order, whatever the threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pandas as pd
import pytest
import torch

from impute_assets.core.imputer import Imputer
from impute_assets.core.workers import map_columns
from tests.core.test_imputer import correlated_frame, hide
from tests.factories import TINY_MODEL


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


def test_fills_are_identical_predicted_serially_or_side_by_side(two_threads: None) -> None:
    truth = correlated_frame(rows=400)
    masked, _ = hide(truth, 0.2)
    imputer = Imputer(**TINY_MODEL, fill="all").fit(masked)
    side_by_side = imputer.transform(masked)
    torch.set_num_threads(1)
    serial = imputer.transform(masked)
    pd.testing.assert_frame_equal(side_by_side, serial)
    assert side_by_side.isna().sum().sum() < masked.isna().sum().sum()
