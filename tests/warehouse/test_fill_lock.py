"""``Warehouse.fill_lock``: two fills of one table partition take turns across connections
(and files), on every engine; another partition's fill does not wait."""

from __future__ import annotations

import threading

from impute_assets.warehouse import Warehouse

#: Generous bound for a thread to take a free lock (only reached when the lock is broken).
TAKE_SECONDS = 60
#: How long the second fill is seen waiting (with the lock working, it waits for ever).
WAITING_SECONDS = 1


def _holder(
    url: str,
    partition: object,
    events: list[str],
    name: str,
    release: threading.Event,
    taken: threading.Event,
) -> threading.Thread:
    """A thread with its own Warehouse that takes the fill lock, records it, and holds it until
    ``release`` is set."""

    def run() -> None:
        with Warehouse(url) as warehouse, warehouse.fill_lock("t", None, partition):
            events.append(f"{name} in")
            taken.set()
            release.wait(TAKE_SECONDS)
            events.append(f"{name} out")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_fills_of_one_partition_take_turns_and_others_do_not_wait(wh):
    url = wh.engine.url.render_as_string(hide_password=False)
    events: list[str] = []
    release_first, first_in = threading.Event(), threading.Event()
    first = _holder(url, ("m", "1"), events, "first", release_first, first_in)
    assert first_in.wait(TAKE_SECONDS)

    release_second, second_in = threading.Event(), threading.Event()
    second = _holder(url, ("m", "1"), events, "second", release_second, second_in)
    release_other, other_in = threading.Event(), threading.Event()
    if wh.dialect.name not in ("duckdb", "sqlite"):  # one lock file per database file there
        other = _holder(url, ("m", "2"), events, "other", release_other, other_in)
        assert other_in.wait(TAKE_SECONDS)  # another partition fills while "first" holds "1"
        release_other.set()
        other.join(TAKE_SECONDS)
    assert not second_in.wait(WAITING_SECONDS)  # "first" holds the lock of partition "1"
    release_first.set()
    assert second_in.wait(TAKE_SECONDS)
    release_second.set()
    first.join(TAKE_SECONDS)
    second.join(TAKE_SECONDS)
    mine = [e for e in events if not e.startswith("other")]
    assert mine == ["first in", "first out", "second in", "second out"]
