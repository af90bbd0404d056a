"""The shared-network candidate: one masked network for the whole table (an adapter over
:mod:`impute_assets.core.nets.shared`, which trains it)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Candidate,
    FittedColumn,
    RawInputs,
    TableFit,
    TableShare,
)
from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.features import Features, FeatureSpace
from impute_assets.core.nets.shared import SHARED_CELLS, fit_shared
from impute_assets.core.nets.training import TargetData


class SharedNetwork(Candidate):
    name = names.SHARED_NETWORK
    description = "one masked network for the whole table, every column a target"
    blendable = True
    variance_head = True
    table_level = True

    def trains(self, config: ImputerConfig, targets: int, sequence: bool, rows: int) -> bool:
        """Selected and, when the per-column networks are selected too, from
        ``shared_network_columns`` targets or :data:`~impute_assets.core.nets.shared.SHARED_CELLS`
        cells (rows x targets) on (smaller tables keep those). Sequences follow the same rule:
        their context columns are inputs the shared network never hides nor predicts."""
        if self.name not in config.candidates:
            return False
        return (
            names.NETWORK not in config.candidates
            or targets >= config.shared_network_columns
            or rows * targets >= SHARED_CELLS
        )

    def fit_table(
        self,
        space: FeatureSpace,
        features: Features,
        data: Sequence[TargetData],
        config: ImputerConfig,
        device: torch.device,
    ) -> TableFit:
        fit = fit_shared(space, features, data, config, device)
        seconds = fit.trained.seconds if fit.trained is not None else 0.0
        return TableFit(fit.holdout or {}, seconds, fit)

    def share(self, fit: TableFit, target: str) -> TableShare:
        shared = fit.state
        return TableShare(shared=(shared.meta, shared.tensors), epochs=shared.trained.best_epoch)

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        assert inputs.shared is not None
        return inputs.shared
