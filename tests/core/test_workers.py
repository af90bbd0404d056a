"""Per-column work on worker threads: results in the items' order, torch single-threaded, and
a table's columns fitted beside its networks with the same models as one after the other."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from impute_assets.core.config import ImputerConfig
from impute_assets.core.imputer import Imputer
from impute_assets.core.workers import beside, map_columns
from tests.factories import sample_frame


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


def test_beside_runs_the_job_in_the_calling_thread_while_workers_take_the_items(
    two_threads: None,
) -> None:
    started = threading.Event()
    seen: dict[str, object] = {"workers": set()}

    def job() -> str:
        # goes on only once a worker has begun: the two run at the same time
        seen["overlapped"] = started.wait(timeout=10)
        seen["job"] = (threading.current_thread().name, torch.get_num_threads())
        return "trained"

    def work(item: int) -> int:
        started.set()
        time.sleep(0.02 * (3 - item))  # the first items finish last
        assert torch.get_num_threads() == 1
        seen["workers"].add(threading.current_thread().name)  # type: ignore[attr-defined]
        return item * 10

    assert beside(job, work, [0, 1, 2, 3]) == ("trained", [0, 10, 20, 30])
    assert seen["overlapped"] is True
    assert seen["job"] == (threading.current_thread().name, 1)  # the other half of two
    assert all(name.startswith("impute-column") for name in seen["workers"])  # type: ignore[attr-defined]
    assert torch.get_num_threads() == 2  # restored


def test_beside_with_one_thread_runs_the_job_then_the_items_in_the_calling_thread() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    order: list[str] = []
    try:
        job, items = beside(
            lambda: order.append(threading.current_thread().name) or "trained",
            lambda item: order.append(threading.current_thread().name) or item,
            [1, 2],
        )
    finally:
        torch.set_num_threads(before)
    assert (job, items) == ("trained", [1, 2])
    assert set(order) == {threading.current_thread().name}


def test_a_fit_chooses_and_scores_alike_at_one_and_two_threads() -> None:
    """The networks train on one thread either way (beside one worker at two), so the models
    are the same: threads change the time, not the fills."""
    frame = sample_frame(rows=240)
    before, runs = torch.get_num_threads(), []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            imputer = Imputer(config=ImputerConfig(epochs=4, fill="all", seed=0))
            runs.append((imputer.fit_transform(frame), imputer.column_models_))
    finally:
        torch.set_num_threads(before)
    (one, one_models), (two, two_models) = runs
    assert list(one_models) == list(two_models)
    for name, model in one_models.items():
        assert model.chosen == two_models[name].chosen, name
        assert model.holdout.scores == pytest.approx(two_models[name].holdout.scores), name
    assert one.equals(two)
    assert np.all(one.notna().to_numpy() | frame.isna().to_numpy())
