"""The PyPOTS peer's windows: each entity's rows in time order, every row in one at least."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.pypots_peer import windows


def shuffled_series() -> pd.DataFrame:
    """Entity ``a`` with 11 rows, ``b`` with 3, in a shuffled order."""
    frame = pd.DataFrame({"name": ["a"] * 11 + ["b"] * 3, "time": [*range(11), *range(3)]})
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_windows_follow_time_within_one_entity_and_cover_every_row():
    frame = shuffled_series()
    slots, length = windows(frame, "time", "name", 4)
    assert length == 4 and slots.shape[1] == 4
    for window in slots:
        rows = window[window >= 0]
        assert frame["name"].iloc[rows].nunique() == 1
        assert (np.diff(frame["time"].iloc[rows].to_numpy()) == 1).all()
    assert set(slots[slots >= 0]) == set(range(len(frame)))
    starts = {
        name: sorted(frame["time"].iloc[w[0]] for w in slots if frame["name"].iloc[w[0]] == name)
        for name in "ab"
    }
    assert starts == {"a": [0, 2, 4, 6, 7], "b": [0]}  # half overlaps; the last ends at row 10
    (short,) = [w for w in slots if frame["name"].iloc[w[0]] == "b"]
    assert short[3] == -1  # padded past b's last row


def test_no_window_length_gives_one_window_per_entity():
    frame = shuffled_series()
    slots, length = windows(frame, "time", "name", None)
    assert length == 11 and len(slots) == 2
    assert sorted((window >= 0).sum() for window in slots) == [3, 11]
