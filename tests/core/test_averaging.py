"""The moving average of the networks' weights: what it reads, how it moves, and that the
networks train and fill with it on and off."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from impute_assets.core.config import ImputerConfig
from impute_assets.core.imputer import Imputer
from impute_assets.core.nets.averaging import EVERY, WeightAverage
from tests.factories import sample_frame


def test_no_decay_reads_the_network_itself() -> None:
    net = nn.Linear(3, 2)
    average = WeightAverage(net, 0.0)
    for _ in range(2 * EVERY):
        average.update()
    assert average.net is net


def test_the_average_sits_nearer_the_centre_than_the_last_noisy_weights() -> None:
    torch.manual_seed(0)
    net = nn.Linear(20, 10)
    centre = parameters_to_vector(net.parameters()).detach().clone()
    average = WeightAverage(net, 0.98)
    for _ in range(400):  # weights wandering around the centre, as noisy steps leave them
        with torch.no_grad():
            vector_to_parameters(centre + torch.randn_like(centre) * 0.1, net.parameters())
        average.update()
    last, averaged = (
        parameters_to_vector(net.parameters()),
        parameters_to_vector(average.net.parameters()),
    )
    assert average.net is not net
    assert torch.linalg.norm(averaged - centre) < 0.3 * torch.linalg.norm(last - centre)


def test_the_average_moves_only_every_few_steps_and_follows_the_weights_early() -> None:
    net = nn.Linear(4, 1)
    average = WeightAverage(net, 0.999)
    start = parameters_to_vector(average.net.parameters()).clone()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    for _ in range(EVERY - 1):
        average.update()
    assert torch.equal(parameters_to_vector(average.net.parameters()), start)
    average.update()
    moved = parameters_to_vector(average.net.parameters()) - start
    # the warm-up decay, not 0.999: the first update goes most of the way to the weights
    assert torch.all(moved > 0.5)
    assert torch.all(moved <= 1.0 + 1e-6)


def test_training_keeps_observed_cells_and_fills_with_and_without_the_average() -> None:
    frame = sample_frame(300, seed=3)
    holes = frame.copy()
    rng = np.random.default_rng(0)
    for column in ("x", "z"):
        holes.loc[rng.random(len(frame)) < 0.2, column] = np.nan
    fills = {}
    for decay in (0.0, 0.98):
        config = ImputerConfig(
            weight_average=decay, candidates=("network", "mean_mode"), fill="all", seed=0
        )
        imputer = Imputer(config=config).fit(holes)
        out = imputer.transform(holes)
        observed = holes.notna()
        assert out[observed].equals(holes[observed])
        assert out[["x", "z"]].notna().all().all()
        fills[decay] = out
        assert imputer.column_models_["x"].chosen in {"network", "mean_mode"}
    gaps = holes["x"].isna()
    # the averaged weights are other weights: the fills differ
    assert not np.allclose(fills[0.0].loc[gaps, "x"], fills[0.98].loc[gaps, "x"])
