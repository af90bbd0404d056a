"""Cheap torch-native candidates a column can be filled by: mean/mode, ridge, k nearest rows.

They share one dense design matrix (scaled numerics, missing indicators, one-hot categories)
and read every column but their target's own. Each returns raw outputs in the network's form:
a scaled value for numeric targets, class scores for categorical ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from impute_assets.core.encoding.encoders import RESERVED
from impute_assets.core.encoding.features import Features

#: One-hot width per categorical column in the design matrix (most frequent values).
ONE_HOT_LIMIT = 32
RIDGE = 1.0
QUERY_CHUNK = 2048


@dataclass
class Design:
    """Dense inputs for the cheap candidates, and the column owning each of its features."""

    matrix: np.ndarray  # float32 (n, f)
    owner: np.ndarray  # int64 (f,)

    @classmethod
    def from_features(cls, features: Features, categorical_sizes: Sequence[int]) -> Design:
        """The design of ``features``; ``categorical_sizes`` fixes the one-hot widths."""
        blocks = [features.numeric, features.numeric_missing]
        owners = [features.numeric_owner, features.numeric_owner]
        for j, owner in enumerate(features.categorical_owner):
            idx = features.categorical[:, j]
            width = min(categorical_sizes[j], ONE_HOT_LIMIT + RESERVED)
            onehot = np.zeros((len(idx), width), dtype=np.float32)
            onehot[np.arange(len(idx)), np.minimum(idx, width - 1)] = 1.0
            blocks.append(onehot[:, 1:])  # the missing slot is the all-zero row
            owners.append(np.full(width - 1, owner))
        return cls(
            np.concatenate(blocks, axis=1).astype(np.float32),
            np.concatenate(owners).astype(np.int64),
        )

    def without(self, column: int) -> np.ndarray:
        """Feature indices that do not belong to ``column``."""
        return np.flatnonzero(self.owner != column)


def mean_mode_fit(
    y: np.ndarray, numeric: bool, classes: int, weight: np.ndarray | None = None
) -> np.ndarray:
    """The (weighted) mean scaled value, or log class frequencies (smoothed)."""
    weight = np.ones(len(y)) if weight is None else weight
    if numeric:
        keep = np.isfinite(y) & (weight > 0)
        return np.array(
            [np.average(y[keep], weights=weight[keep]) if keep.any() else 0.0], dtype=np.float64
        )
    keep = y >= 0
    counts = np.bincount(y[keep].astype(int), weights=weight[keep], minlength=classes) + 1e-3
    return np.log(counts / counts.sum())


def mean_mode_predict(state: np.ndarray, rows: int, numeric: bool) -> np.ndarray:
    return np.full(rows, state[0]) if numeric else np.tile(state, (rows, 1))


def linear_fit(
    z: np.ndarray, y: np.ndarray, numeric: bool, classes: int, weight: np.ndarray | None = None
) -> np.ndarray:
    """Ridge coefficients (features + intercept, outputs); one-hot targets for classes; rows
    weighted by ``weight`` when given."""
    x = torch.from_numpy(np.hstack([z, np.ones((len(z), 1), np.float32)])).double()
    target = (
        torch.from_numpy(y[:, None].astype(np.float64))
        if numeric
        else torch.nn.functional.one_hot(torch.from_numpy(y.astype(np.int64)), classes).double()
    )
    if weight is not None:
        root = torch.from_numpy(np.sqrt(weight.astype(np.float64)))[:, None]
        x, target = x * root, target * root
    gram = x.T @ x + RIDGE * torch.eye(x.shape[1], dtype=torch.float64)
    gram[-1, -1] -= RIDGE  # leave the intercept unpenalised
    return torch.linalg.solve(gram, x.T @ target).numpy()


def linear_predict(beta: np.ndarray, z: np.ndarray, numeric: bool) -> np.ndarray:
    out = np.hstack([z, np.ones((len(z), 1), np.float32)]).astype(np.float64) @ beta
    return out[:, 0] if numeric else out


def knn_predict(
    refs: np.ndarray, ref_y: np.ndarray, z: np.ndarray, k: int, numeric: bool, classes: int
) -> np.ndarray:
    """Mean of the ``k`` nearest reference rows, or log vote shares."""
    k = min(k, len(refs))
    ref_t = torch.from_numpy(refs)
    outputs = []
    for start in range(0, len(z), QUERY_CHUNK):
        query = torch.from_numpy(z[start : start + QUERY_CHUNK])
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


def member_values(name: str, out: np.ndarray, numeric: bool, temperature: float) -> np.ndarray:
    """A candidate's outputs on the blend's common scale: values, or calibrated probabilities."""
    if numeric:
        return out[:, 0] if out.ndim == 2 else out
    scaled = out / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    probs = np.exp(scaled)
    return probs / probs.sum(axis=1, keepdims=True)


def blend(members: list[np.ndarray], numeric: bool) -> np.ndarray:
    """The blend candidate's raw outputs: the mean value, or log of the mean probabilities."""
    mean = np.mean(members, axis=0)
    return mean if numeric else np.log(np.maximum(mean, 1e-9))


def knn_references(
    z: np.ndarray, y: np.ndarray, limit: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` reference rows, drawn reproducibly."""
    if len(z) <= limit:
        return z, y
    keep = np.random.default_rng(seed).choice(len(z), size=limit, replace=False)
    return z[keep], y[keep]
