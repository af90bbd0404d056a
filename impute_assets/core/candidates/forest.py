"""The forest candidate (scikit-learn's extremely randomized trees) for categorical targets of
more classes than the boosted candidate takes.

LightGBM grows one tree per class and round, so ``boosted`` skips targets of more than
``MAX_CLASSES`` (64) classes, and there the networks, ridge and kNN were all we had: at 2,000
rows the MissForest-style peer beat us on flights' ``dest`` (105 classes, accuracy 0.65 against
0.40) and storms' ``name`` (260, 0.29 against 0.09). A forest's tree learns every class at once.
A random forest on every categorical target cost as much again on loans (18 s of 41 s CPU)
and moved its accuracy 0.756 -> 0.751, so the candidate is tried where the booster is not.
Columns of more than ``MAX_ROWS`` training rows skip it (fully grown trees grow with the rows).

The fitted trees are kept as flat arrays (children, split features and thresholds, the leaves'
class shares as a sparse matrix), so they are saved in ``weights.safetensors`` like every other
candidate and predict without scikit-learn's pickles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import sparse

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Candidate,
    FittedColumn,
    HeldOutFit,
    Observed,
    RawInputs,
    Split,
)
from impute_assets.core.candidates.boosted import MAX_CLASSES
from impute_assets.core.candidates.design import ONE_HOT, VALUE, Design, varies

#: Trees per forest, and the share of the compact inputs (see :func:`compact_view`) each split
#: draws a random threshold for (scikit-learn's ``max_features``). 2,000 rows, seed 0, table
#: accuracy MCAR / MAR: flights 0.710 / 0.729, storms 0.709 / 0.701 with 50 extremely
#: randomized trees on every input; 0.691 / 0.698 and 0.688 / 0.687 with a random forest of
#: 100 trees on 60% of them, which took 1.7 times the CPU (flights and storms MCAR, fitting
#: and predicting: 4.9 s against 2.9 s).
TREES = 50
MAX_FEATURES = 1.0
#: Columns with more training rows than this skip the candidate.
MAX_ROWS = 5_000
#: A fitted forest's arrays are named ``forest_<part>``.
PREFIX = f"{names.FOREST}_"

#: What the trees read of design rows (see :func:`compact_view`).
View = Callable[[np.ndarray], np.ndarray]


class Forest(Candidate):
    """Refitted on every observed row through the first split's compact view (its ``hint``)."""

    name = names.FOREST
    description = "extremely randomized trees for categories of many classes"
    blendable = True
    repeatable = True

    def holdout_fit(self, split: Split, hint: Any = None) -> HeldOutFit | None:
        target = split.target
        if not len(split.hold_rows) or not fits(
            split.z_train, target.numeric, target.classes, len(split.train_rows)
        ):
            return None
        view = compact_view(split.design, split.columns)
        state = forest_fit(view(split.z_train), split.y_train, split.config.seed, split.weight)
        return HeldOutFit(forest_predict(state, view(split.z_hold), target.classes), hint=view)

    def refit(self, observed: Observed, hint: Any = None) -> dict[str, np.ndarray]:
        return forest_fit(hint(observed.z), observed.y, observed.config.seed, observed.weight)

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        view = compact_view(inputs.design, inputs.design.without(inputs.position))
        return forest_predict(model.arrays, view(inputs.z), model.classes)


def fits(z: np.ndarray, numeric: bool, classes: int, rows: int) -> bool:
    """Whether the candidate is tried: a categorical target of more classes than the booster
    takes, at most ``MAX_ROWS`` training rows and a design that varies."""
    if numeric or classes <= MAX_CLASSES or rows > MAX_ROWS:
        return False
    return varies(z)


def compact_view(design: Design, columns: np.ndarray) -> View:
    """What the trees read of design rows holding features ``columns``: the numeric values (a
    gap at the column's mean) and one code per categorical column (1, 2, ... its one-hot slot,
    0 where all are off), as MissForest reads a table; missing indicators are left out. Trees
    split codes as they split numbers, and ``max_features`` then draws among columns, not among
    one-hot slots and indicators (flights: 14 inputs instead of 75 design features)."""
    part, owner = design.part[columns], design.owner[columns]
    values = np.flatnonzero(part == VALUE)
    hot = part == ONE_HOT
    blocks = [np.flatnonzero(hot & (owner == o)) for o in np.unique(owner[hot])]

    def view(z: np.ndarray) -> np.ndarray:
        codes = [
            np.where(z[:, b].any(axis=1), z[:, b].argmax(axis=1) + 1, 0).astype(np.float32)
            for b in blocks
        ]
        return np.column_stack([z[:, values], *codes])

    return view


def forest_fit(
    z: np.ndarray, y: np.ndarray, seed: int, weight: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Extremely randomized trees fitted on ``z`` -> ``y`` (class ids), as flat arrays named ``forest_<part>``:
    every tree's nodes one after the other (``roots``: each tree's first), children as indices
    into them (-1 at leaves), and the leaves' class shares (``ptr``/``cls``/``share``: a CSR
    matrix nodes x classes)."""
    from sklearn.ensemble import ExtraTreesClassifier

    model = ExtraTreesClassifier(
        n_estimators=TREES, max_features=MAX_FEATURES, n_jobs=1, random_state=seed
    )
    model.fit(z, y.astype(np.int64), sample_weight=weight)
    trees = [estimator.tree_ for estimator in model.estimators_]
    roots = np.concatenate([[0], np.cumsum([t.node_count for t in trees])[:-1]])

    def children(side: str) -> np.ndarray:
        return np.concatenate(
            [
                np.where(getattr(t, side) >= 0, getattr(t, side) + r, -1)
                for t, r in zip(trees, roots, strict=True)
            ]
        ).astype(np.int32)

    left = children("children_left")
    shares = np.concatenate([t.value[:, 0, :] for t in trees])
    shares = shares / np.maximum(shares.sum(axis=1, keepdims=True), 1e-12)
    shares[left >= 0] = 0.0  # only leaves are read
    matrix = sparse.csr_matrix(shares)
    arrays = {
        "roots": roots.astype(np.int32),
        "left": left,
        "right": children("children_right"),
        "feature": np.concatenate([t.feature for t in trees]).astype(np.int32),
        "threshold": np.concatenate([t.threshold for t in trees]).astype(np.float64),
        "ptr": matrix.indptr.astype(np.int32),
        "cls": model.classes_.astype(np.int32)[matrix.indices],
        "share": matrix.data.astype(np.float32),
    }
    return {PREFIX + part: array for part, array in arrays.items()}


def forest_predict(arrays: dict[str, np.ndarray], z: np.ndarray, classes: int) -> np.ndarray:
    """Raw outputs of a fitted forest (see :func:`forest_fit`) in the network's form: the log
    of the trees' mean class shares."""
    part = {k.removeprefix(PREFIX): v for k, v in arrays.items() if k.startswith(PREFIX)}
    left, right = part["left"], part["right"]
    trees = len(part["roots"])
    rows = np.repeat(np.arange(len(z))[:, None], trees, axis=1)
    node = np.broadcast_to(part["roots"], rows.shape).copy()
    inner = left[node] >= 0
    while inner.any():  # every (row, tree) walks one level down until all reach a leaf
        at = node[inner]
        below = z[rows[inner], part["feature"][at]] <= part["threshold"][at]
        node[inner] = np.where(below, left[at], right[at])
        inner = left[node] >= 0
    leaves = sparse.csr_matrix(
        (np.full(node.size, 1.0 / trees), node.ravel(), np.arange(0, node.size + 1, trees)),
        shape=(len(z), len(left)),
    )
    shares = sparse.csr_matrix(
        (part["share"].astype(np.float64), part["cls"], part["ptr"]), shape=(len(left), classes)
    )
    return np.log(np.maximum((leaves @ shares).toarray(), 1e-9))
