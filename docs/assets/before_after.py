"""Draws ``before_after.png`` (the README's picture) with the project's own plots module.

Run from the repository root: ``python docs/assets/before_after.py``. The table is ggplot2's
``msleep`` (``tests/data/msleep.csv``): each column's share of missing cells before and after
``Imputer().fit_impute`` with its default gates, which fill a column only where its model
earns its place; the cells they leave are counted as "after".
"""

from pathlib import Path

import pandas as pd

from impute_assets import Imputer
from impute_assets.plots import before_after_missingness

HERE = Path(__file__).parent

frame = pd.read_csv(HERE.parents[1] / "tests" / "data" / "msleep.csv")
result = Imputer(seed=0).fit_impute(frame)
before = {c: int(n) for c, n in frame.isna().sum().items() if n}
after = {c: int(result.frame[c].isna().sum()) for c in before}
png = before_after_missingness(
    before, after, rows=len(frame), title="msleep: missing before, and left by the default gates"
)
(HERE / "before_after.png").write_bytes(png)
