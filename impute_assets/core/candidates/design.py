"""The dense design matrix the per-column candidates (ridge, kNN, boosted, forest, text copy) read.

Scaled numerics, missing indicators and one-hot categories; each candidate reads every column
but its target's own (:meth:`Design.without`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from impute_assets.core.encoding.encoders import RESERVED
from impute_assets.core.encoding.features import Features

#: One-hot width per categorical column in the design matrix (most frequent values).
ONE_HOT_LIMIT = 32
#: What a design feature is: a scaled numeric value, its missing indicator, a one-hot slot.
VALUE, MISSING, ONE_HOT = 0, 1, 2


@dataclass
class Design:
    """Dense inputs for the per-column candidates, the column owning each of its features and
    what each feature is (``VALUE``, ``MISSING`` indicator or ``ONE_HOT`` slot)."""

    matrix: np.ndarray  # float32 (n, f)
    owner: np.ndarray  # int64 (f,)
    part: np.ndarray  # int8 (f,)

    @classmethod
    def from_features(cls, features: Features, categorical_sizes: Sequence[int]) -> Design:
        """The design of ``features``; ``categorical_sizes`` fixes the one-hot widths."""
        blocks = [features.numeric, features.numeric_missing]
        owners = [features.numeric_owner, features.numeric_owner]
        parts = [
            np.full(len(features.numeric_owner), VALUE),
            np.full(len(features.numeric_owner), MISSING),
        ]
        for j, owner in enumerate(features.categorical_owner):
            idx = features.categorical[:, j]
            width = min(categorical_sizes[j], ONE_HOT_LIMIT + RESERVED)
            onehot = np.zeros((len(idx), width), dtype=np.float32)
            onehot[np.arange(len(idx)), np.minimum(idx, width - 1)] = 1.0
            blocks.append(onehot[:, 1:])  # the missing slot is the all-zero row
            owners.append(np.full(width - 1, owner))
            parts.append(np.full(width - 1, ONE_HOT))
        return cls(
            np.concatenate(blocks, axis=1).astype(np.float32),
            np.concatenate(owners).astype(np.int64),
            np.concatenate(parts).astype(np.int8),
        )

    def without(self, column: int) -> np.ndarray:
        """Feature indices that do not belong to ``column``."""
        return np.flatnonzero(self.owner != column)


def varies(z: np.ndarray) -> bool:
    """Whether design rows ``z`` have a feature that is not constant (tree learners refuse, or
    learn nothing from, a design whose every feature is)."""
    return bool(z.size) and bool(np.any(np.ptp(z, axis=0) > 0))
