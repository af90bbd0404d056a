"""Peer imputers for the accuracy benchmark, each a callable ``frame -> filled frame``.

They take the same masked frame as our ``Imputer`` and go through the same scoring path
(``impute_assets.core.evaluate.evaluate``). Numbers are used as they are; every other column is
categorical. Distance- and regression-based peers see categoricals one-hot encoded (up to
``ONE_HOT_MAX`` categories) or, above that, as frequency-ranked ordinal codes, and numbers
standardized; predictions are decoded back (argmax of the one-hot block, nearest code) into the
column's observed values. Observed cells are never changed.

- ``mean_mode``: column mean / most frequent value.
- ``knn``: scikit-learn ``KNNImputer`` (5 neighbours, uniform weights).
- ``iterative``: scikit-learn ``IterativeImputer`` with ``BayesianRidge``, 10 rounds.
- ``missforest``: the MissForest loop (Stekhoven & Buehlmann 2012) written out so that only one
  forest is in memory at a time: start from mean/mode, then repeatedly refit a 100-tree random
  forest (regressor or classifier, ``max_features="sqrt"`` as MissForest's ``mtry``) per column,
  from the fewest to the most gaps, until the change between rounds stops shrinking (at most 5
  rounds; on the benchmark tables it rarely stops before 4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Categoricals with at most this many categories are one-hot encoded, others ordinal.
ONE_HOT_MAX = 20
RANDOM_STATE = 0


def is_numeric(series: pd.Series) -> bool:
    """Numbers (not bools) are regressed; everything else is a category."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _check_supported(frame: pd.DataFrame) -> None:
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            raise TypeError(f"peers: column {column!r} is a datetime; drop or convert it first")


def _fill(frame: pd.DataFrame, column: str, values: np.ndarray) -> pd.Series:
    """``frame[column]`` with its gaps taken from ``values`` (one per row); observed kept."""
    series = frame[column]
    gaps = series.isna().to_numpy()
    if is_numeric(series):
        out = series.astype(float).to_numpy(copy=True)
    else:
        out = series.to_numpy(dtype=object, copy=True)
    out[gaps] = values[gaps]
    return pd.Series(out, index=series.index, name=column)


def _categories(series: pd.Series) -> np.ndarray:
    """Observed values, most frequent first (ties in first-seen order)."""
    return series.dropna().value_counts(sort=True).index.to_numpy(dtype=object)


def mean_mode(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill numbers with the column mean and categories with the most frequent value."""
    out = frame.copy()
    for column in frame.columns:
        series = frame[column]
        if series.notna().any():
            fill = series.mean() if is_numeric(series) else _categories(series)[0]
            out[column] = _fill(frame, column, np.full(len(frame), fill, dtype=object))
    return out


@dataclass
class _Block:
    """Where one column lives in the encoded matrix and how to read it back."""

    column: str
    start: int
    width: int
    kind: str  # "numeric" | "onehot" | "ordinal"
    center: float = 0.0
    scale: float = 1.0
    categories: np.ndarray | None = None


class MatrixCodec:
    """Frame <-> float matrix with NaN gaps, for scikit-learn imputers.

    With ``drop_first`` a one-hot block leaves out its most frequent category (read back as
    one minus the others): chained regressions would otherwise predict each slot from its
    siblings, which always sum to one, and never move from the mean.
    """

    def __init__(self, frame: pd.DataFrame, drop_first: bool = False) -> None:
        _check_supported(frame)
        self.drop_first = drop_first
        self.blocks: list[_Block] = []
        start = 0
        for column in frame.columns:
            series = frame[column]
            if is_numeric(series):
                values = series.astype(float)
                std = float(values.std(ddof=0)) if values.notna().sum() > 1 else 0.0
                center = float(values.mean()) if values.notna().any() else 0.0
                block = _Block(column, start, 1, "numeric", center, std if std > 0 else 1.0)
            else:
                categories = _categories(series)
                if len(categories) <= ONE_HOT_MAX:
                    width = max(len(categories) - int(drop_first), 0)
                    block = _Block(column, start, width, "onehot", categories=categories)
                else:
                    codes = np.arange(len(categories), dtype=float)
                    block = _Block(
                        column,
                        start,
                        1,
                        "ordinal",
                        float(codes.mean()),
                        float(codes.std()) or 1.0,
                        categories,
                    )
            self.blocks.append(block)
            start += block.width
        self.width = start

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The frame as floats; a missing cell is NaN in every slot of its block."""
        matrix = np.full((len(frame), self.width), np.nan)
        for block in self.blocks:
            series = frame[block.column]
            gaps = series.isna().to_numpy()
            cols = slice(block.start, block.start + block.width)
            if block.kind == "numeric":
                scaled = (series.astype(float).to_numpy() - block.center) / block.scale
                matrix[:, block.start] = scaled
                continue
            codes = pd.Index(block.categories).get_indexer(series)
            if block.kind == "onehot":
                onehot = np.zeros((len(frame), len(block.categories)))
                onehot[np.flatnonzero(~gaps), codes[~gaps]] = 1.0
                onehot[gaps] = np.nan
                matrix[:, cols] = onehot[:, len(block.categories) - block.width :]
            else:
                scaled = (codes - block.center) / block.scale
                matrix[:, block.start] = np.where(gaps, np.nan, scaled)
        return matrix

    def decode(self, frame: pd.DataFrame, matrix: np.ndarray) -> pd.DataFrame:
        """``frame`` with its gaps filled from ``matrix`` (observed cells unchanged)."""
        out = frame.copy()
        for block in self.blocks:
            values = matrix[:, block.start : block.start + block.width]
            if block.kind == "numeric":
                decoded = values[:, 0] * block.scale + block.center
            elif block.kind == "onehot" and not len(block.categories):
                continue
            elif block.kind == "onehot":
                if self.drop_first:
                    values = np.column_stack([1.0 - values.sum(axis=1), values])
                decoded = block.categories[np.argmax(values, axis=1)]
            else:
                codes = np.rint(values[:, 0] * block.scale + block.center).astype(int)
                decoded = block.categories[np.clip(codes, 0, len(block.categories) - 1)]
            out[block.column] = _fill(frame, block.column, np.asarray(decoded, dtype=object))
        return out


def _sklearn_peer(frame: pd.DataFrame, imputer, drop_first: bool = False) -> pd.DataFrame:
    codec = MatrixCodec(frame, drop_first)
    return codec.decode(frame, imputer.fit_transform(codec.encode(frame)))


def knn(frame: pd.DataFrame, n_neighbors: int = 5) -> pd.DataFrame:
    """scikit-learn ``KNNImputer`` on standardized numbers and encoded categories."""
    from sklearn.impute import KNNImputer

    return _sklearn_peer(frame, KNNImputer(n_neighbors=n_neighbors, keep_empty_features=True))


def iterative(frame: pd.DataFrame, max_iter: int = 10) -> pd.DataFrame:
    """scikit-learn ``IterativeImputer(BayesianRidge)`` (MICE-style chained regressions)."""
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer
    from sklearn.linear_model import BayesianRidge

    imputer = IterativeImputer(
        estimator=BayesianRidge(),
        max_iter=max_iter,
        random_state=RANDOM_STATE,
        keep_empty_features=True,
    )
    return _sklearn_peer(frame, imputer, drop_first=True)


def missforest(
    frame: pd.DataFrame, n_estimators: int = 100, max_iter: int = 5, n_jobs: int = 1
) -> pd.DataFrame:
    """MissForest with one forest in memory at a time (see the module docstring)."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    _check_supported(frame)
    categories = {c: _categories(frame[c]) for c in frame.columns if not is_numeric(frame[c])}
    data = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        if column in categories:
            codes = pd.Index(categories[column]).get_indexer(frame[column]).astype(float)
            data[column] = np.where(frame[column].isna(), np.nan, codes)
        else:
            data[column] = frame[column].astype(float)
    gaps = data.isna()
    targets = [c for c in gaps.sum().sort_values(kind="stable").index if gaps[c].any()]
    targets = [c for c in targets if (~gaps[c]).any()]
    # Start from mean / mode (code 0 is the most frequent category); empty columns from 0.
    start = {c: 0.0 if c in categories else data[c].mean() for c in data.columns}
    current = data.fillna(start).fillna(0.0).to_numpy(dtype=float)
    index = {c: i for i, c in enumerate(data.columns)}
    previous, last_change = current, (np.inf, np.inf)
    for _ in range(max_iter):
        previous, current = current, current.copy()
        for column in targets:
            j, rows = index[column], gaps[column].to_numpy()
            features = np.delete(current, j, axis=1)
            model_class = RandomForestClassifier if column in categories else RandomForestRegressor
            model = model_class(
                n_estimators=n_estimators,
                max_features="sqrt",
                n_jobs=n_jobs,
                random_state=RANDOM_STATE,
            )
            target = current[~rows, j]
            model.fit(features[~rows], target.astype(int) if column in categories else target)
            current[rows, j] = model.predict(features[rows])
        change = _change(previous, current, gaps, [index[c] for c in categories])
        if all(new >= old for new, old in zip(change, last_change, strict=True)):
            current = previous  # the change stopped shrinking: keep the round before
            break
        last_change = change
    filled = pd.DataFrame(current, index=frame.index, columns=frame.columns)
    out = frame.copy()
    for column in frame.columns:
        values = filled[column].to_numpy()
        if column in categories:
            codes = np.clip(np.rint(values).astype(int), 0, max(len(categories[column]) - 1, 0))
            values = categories[column][codes] if len(categories[column]) else values
        out[column] = _fill(frame, column, np.asarray(values, dtype=object))
    return out


def _change(
    before: np.ndarray, after: np.ndarray, gaps: pd.DataFrame, categorical: list[int]
) -> tuple[float, float]:
    """MissForest's stopping statistics: relative squared change of numbers, share of changed
    categories, over the imputed cells (0 for a kind with no imputed cells)."""
    missing = gaps.to_numpy()
    numeric = np.ones(before.shape[1], dtype=bool)
    numeric[categorical] = False
    num_cells = missing & numeric
    cat_cells = missing & ~numeric
    num = 0.0
    if num_cells.any():
        denom = float(np.sum(after[num_cells] ** 2)) or 1.0
        num = float(np.sum((after[num_cells] - before[num_cells]) ** 2)) / denom
    cat = float(np.mean(after[cat_cells] != before[cat_cells])) if cat_cells.any() else 0.0
    return num, cat


#: The peers the benchmark runs, by name.
PEERS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "mean_mode": mean_mode,
    "knn": knn,
    "iterative": iterative,
    "missforest": missforest,
}
