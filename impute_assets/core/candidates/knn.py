"""The k-nearest-rows candidate: the mean (or vote shares) of the closest reference rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Candidate,
    FittedColumn,
    HeldOutFit,
    Observed,
    RawInputs,
    Split,
)
from impute_assets.core.nets.training import learnable

QUERY_CHUNK = 2048
#: A column of this many training rows or more skips kNN where a table-level network learnt
#: it: the ``knn_reference_rows`` (4,096) it keeps are a few percent of what the network saw.
#: 200,000 x 13 (``benchmarks/scale.py``, latent3 and factors6, 4 fills): kNN was chosen for
#: none of 52 columns and joined one blend (at temperature 4.4, a near-flat vote), for 4-7%
#: of the fill's CPU time.
NETWORK_ROWS = 50_000


class Knn(Candidate):
    name = names.KNN
    description = "the mean value (or vote shares) of the k nearest rows in the design"
    blendable = True
    repeatable = True

    def holdout_fit(self, split: Split, hint: Any = None) -> HeldOutFit | None:
        if not len(split.hold_rows) or outgrown(split):
            return None
        config, target = split.config, split.target
        refs, ref_y = knn_references(
            split.z_train, split.y_train, config.knn_reference_rows, config.seed
        )
        return HeldOutFit(
            knn_predict(
                refs, ref_y, split.z_hold, config.knn_neighbors, target.numeric, target.classes
            )
        )

    def refit(self, observed: Observed, hint: Any = None) -> dict[str, np.ndarray]:
        config = observed.config
        refs, ref_y = knn_references(observed.z, observed.y, config.knn_reference_rows, config.seed)
        return {"knn_refs": refs, "knn_y": ref_y}

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        return knn_predict(
            model.arrays["knn_refs"],
            model.arrays["knn_y"],
            inputs.z,
            int(model.config["knn_neighbors"]),
            model.numeric,
            model.classes,
        )


def outgrown(split: Split) -> bool:
    """Whether a table-level network learns the target from :data:`NETWORK_ROWS` rows or more."""
    return (
        bool(split.networks)
        and len(split.train_rows) >= NETWORK_ROWS
        and learnable(split.target, split.config)
    )


def knn_predict(
    refs: np.ndarray, ref_y: np.ndarray, z: np.ndarray, k: int, numeric: bool, classes: int
) -> np.ndarray:
    """Mean of the ``k`` nearest reference rows, or log vote shares."""
    k = min(k, len(refs))
    # row-major copies: cdist's matrix product rounds by the memory layout, and topk picks
    # among equal distances by those roundings (a column-major view of the design, as a fit
    # has, and the row-major copy a loaded model has chose different neighbours)
    ref_t = torch.from_numpy(np.ascontiguousarray(refs))
    outputs = []
    for start in range(0, len(z), QUERY_CHUNK):
        query = torch.from_numpy(np.ascontiguousarray(z[start : start + QUERY_CHUNK]))
        nearest = torch.cdist(query, ref_t).topk(k, largest=False).indices.numpy()
        neighbours = ref_y[nearest]
        if numeric:
            outputs.append(neighbours.mean(axis=1))
        else:
            votes = np.stack([(neighbours == c).sum(axis=1) for c in range(classes)], axis=1)
            outputs.append(np.log((votes + 1e-2) / (k + 1e-2 * classes)))
    if not outputs:
        return np.zeros(0) if numeric else np.zeros((0, classes))
    return np.concatenate(outputs)


def knn_references(
    z: np.ndarray, y: np.ndarray, limit: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` reference rows, drawn reproducibly."""
    if len(z) <= limit:
        return z, y
    keep = np.random.default_rng(seed).choice(len(z), size=limit, replace=False)
    return z[keep], y[keep]
