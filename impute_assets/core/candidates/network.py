"""The per-column network candidate: one small network per target, all of a table's trained
batched as one stacked network (an adapter over :mod:`impute_assets.core.nets.training`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from impute_assets.core.candidates import names
from impute_assets.core.candidates.base import (
    Candidate,
    FittedColumn,
    RawInputs,
    TableFit,
    TableShare,
)
from impute_assets.core.candidates.shared import SharedNetwork
from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.features import Features, FeatureSpace
from impute_assets.core.nets.training import (
    TargetData,
    TrainedNetworks,
    learnable,
    schedule,
    target_outputs,
    train_networks,
)

logger = logging.getLogger("impute_assets")


class Network(Candidate):
    name = names.NETWORK
    description = "a network per column, trained batched over every target of the table"
    blendable = True
    variance_head = True
    table_level = True

    def trains(self, config: ImputerConfig, targets: int, sequence: bool, rows: int) -> bool:
        """Selected, unless the shared network trains instead (see :class:`SharedNetwork`)."""
        return self.name in config.candidates and not SharedNetwork().trains(
            config, targets, sequence, rows
        )

    def fit_table(
        self,
        space: FeatureSpace,
        features: Features,
        data: Sequence[TargetData],
        config: ImputerConfig,
        device: torch.device,
    ) -> TableFit:
        """Train the networks of the targets with a held-out split and enough rows; the state
        is the trained networks and the targets they serve, in their order."""
        eligible = [t for t in data if learnable(t, config)]
        if not eligible:
            return TableFit()
        trained = _train(space, features, eligible, config, device)
        outputs = target_outputs(
            trained.net,
            features,
            [np.flatnonzero(t.holdout) for t in eligible],
            device,
            config.precision,
        )
        holdout = {t.name: out[:, : t.out_dim] for t, out in zip(eligible, outputs, strict=True)}
        return TableFit(holdout, float(trained.seconds), (trained, [t.name for t in eligible]))

    def share(self, fit: TableFit, target: str) -> TableShare:
        trained, targets = fit.state
        index = targets.index(target)
        return TableShare(
            network=trained.net.target_state(index), epochs=trained.best_epochs[index]
        )

    def raw(self, model: FittedColumn, inputs: RawInputs) -> np.ndarray:
        assert inputs.network is not None
        return inputs.network[:, : 2 if model.numeric else model.classes]


def _train(
    space: FeatureSpace,
    features: Features,
    eligible: Sequence[TargetData],
    config: ImputerConfig,
    device: torch.device,
) -> TrainedNetworks:
    """The batched training, with a progress bar of its held-out checks."""
    train_rows = int(np.any([t.train for t in eligible], axis=0).sum())
    bar = tqdm(
        total=schedule(train_rows, config)[2],
        desc="training",
        unit="check",
        disable=not config.progress,
        leave=False,
        mininterval=1.0,
    )

    def progress(epoch: int, total: int, loss: float) -> None:
        bar.update(1)
        bar.set_postfix(holdout_loss=f"{loss:.4f}", columns=len(eligible))
        logger.debug("epoch %d/%d held-out loss %.4f", epoch, total, loss)

    try:
        trained = train_networks(space, features, eligible, config, device, progress)
    finally:
        bar.close()
    logger.info(
        "trained %d column network(s) on %s in %.1fs (%d steps of %d rows)",
        len(eligible),
        device.type,
        trained.seconds,
        trained.steps,
        trained.batch_size,
    )
    return trained
