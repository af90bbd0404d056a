"""What many tests build: the repository root and small frames with known structure.

Each frame is seeded, so a test can state exact counts; each says which column depends on which,
so a test can state what a model should learn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: The checkout's root (subprocesses get it as PYTHONPATH, tests find shipped files under it).
REPO_ROOT = Path(__file__).resolve().parent.parent



def people_frame() -> pd.DataFrame:
    """Datawig's README example: five people, one gap in each column."""
    return pd.DataFrame(
        [["Bob", 28, 80000], ["Alice", 31, np.nan], [np.nan, 45, 120000],
         ["Carol", np.nan, 60000], ["Dave", 52, 150000]],
        columns=["Name", "Age", "Income"],
    )  # fmt: skip


def readings_frame(
    rows: int = 200, seed: int = 0, slope: float = 3.0, noise: float = 0.1, gaps: float = 0.15
) -> pd.DataFrame:
    """Numeric readings: ``y = slope * x`` plus ``noise``, ``z`` unrelated; ``gaps`` of y missing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    frame = pd.DataFrame(
        {"x": x, "y": slope * x + rng.normal(scale=noise, size=rows), "z": rng.normal(size=rows)}
    )
    frame.loc[rng.random(rows) < gaps, "y"] = np.nan
    return frame
