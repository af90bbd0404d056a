"""What many tests build: the repository root, small frames with known structure, fast configs.

Each frame is seeded, so a test can state exact counts, and says which column depends on which,
so a test can state what a model should learn.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

#: The checkout's root: subprocesses import the library from it, tests find shipped files in it.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The env var the tests' TableSpecs read their warehouse URL from.
URL_ENV = "IMPUTE_ASSETS_TEST_WAREHOUSE_URL"

#: Model settings for tests of wiring, contracts and decisions, not accuracy: two held-out
#: splits for small columns, not the default five (still the repeated-splits path, at 2/5 of
#: its fits; test_gating checks the default's five).
TINY_MODEL = {
    "epochs": 2,
    "hidden_dim": 8,
    "embedding_dim": 4,
    "patience": 1,
    "seed": 0,
    "score_repeats": 2,
}
#: Model settings for tests of what a model learns: enough epochs to beat mean/mode.
LEARNING_MODEL = {
    "epochs": 15,
    "patience": 4,
    "hidden_dim": 16,
    "embedding_dim": 4,
    "knn_reference_rows": 256,
}


def repo_env(*first: str | os.PathLike, **extra: str) -> dict[str, str]:
    """This process's environment for a subprocess that imports the checkout: ``first`` and the
    repository root lead PYTHONPATH, ``extra`` is set on top."""
    path = [*map(str, first), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path)), **extra}


def people_frame() -> pd.DataFrame:
    """Datawig's README example: five people, one gap in each column."""
    return pd.DataFrame(
        [["Bob", 28, 80000], ["Alice", 31, np.nan], [np.nan, 45, 120000],
         ["Carol", np.nan, 60000], ["Dave", 52, 150000]],
        columns=["Name", "Age", "Income"],
    )  # fmt: skip


def readings_frame(
    rows: int = 200,
    seed: int = 0,
    slope: float = 3.0,
    noise: float = 0.1,
    gaps: float = 0.15,
    shift: float = 0.0,
    group: bool = False,
) -> pd.DataFrame:
    """Numeric readings: ``x`` ~ N(shift, 1); ``y = slope * x`` plus ``noise``, a share ``gaps``
    of it missing; ``z`` unrelated; with ``group``, ``"high"``/``"low"`` by the sign of x."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, size=rows)
    frame = pd.DataFrame(
        {"x": x, "y": slope * x + rng.normal(scale=noise, size=rows), "z": rng.normal(size=rows)}
    )
    frame.loc[rng.random(rows) < gaps, "y"] = np.nan
    if group:
        frame["group"] = np.where(x > shift, "high", "low")
    return frame


def text_frame(rows: int = 30, seed: int = 0, gaps: float = 0.3) -> pd.DataFrame:
    """A number ``x``, a category ``c`` and a short text ``t``, all independent, each with a share
    ``gaps`` of cells missing: for encoders and masking, where the values do not matter."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            "c": rng.choice(["a", "b", "c"], rows),
            "t": rng.choice(["red fox", "blue whale swims", "owl"], rows),
        }
    )
    for column in frame.columns:
        frame[column] = frame[column].mask(rng.random(rows) < gaps)
    return frame


def sample_frame(rows: int = 240, seed: int = 0, months: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """A warehouse table with gaps: y follows x, z follows g, w is noisy; ``month`` partitions
    rows, ``id`` keys them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    g = rng.choice(["a", "b", "c"], size=rows)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows, dtype="int64") + 1000 * seed,
            "month": np.resize(np.array(months, dtype="int64"), rows),
            "g": g,
            "x": x,
            "y": 3 * x + rng.normal(0, 0.1, rows),
            "z": np.where(g == "a", "red", "blue"),
            "w": rng.normal(10, 2, rows),
        }
    )
    for column, share in (("y", 0.15), ("z", 0.1), ("w", 0.1)):
        frame.loc[rng.random(rows) < share, column] = None
    return frame


def wide_frame(columns: int = 42, rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """A wide table (numbers from two factors, every fifth column a category) with 10% gaps:
    at 40 modelled columns or more it trains the shared network."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(rows, 2))
    frame = pd.DataFrame(
        {
            f"c{i:02d}": np.where(factors[:, i % 2] > 0, "hi", "lo")
            if i % 5 == 4
            else factors @ rng.normal(size=2) + 0.1 * rng.normal(size=rows)
            for i in range(columns)
        }
    )
    return frame.mask(rng.random(frame.shape) < 0.1)


def table_spec(table: str, **overrides) -> dict:
    """The TableSpec data for :func:`sample_frame` the tests start from (tiny models)."""
    return {
        "table": table,
        "url_env": URL_ENV,
        "key": ["id"],
        "columns": ["y", "z", "w"],
        "exclude": ["month"],
        "model": dict(TINY_MODEL),
        **overrides,
    }
