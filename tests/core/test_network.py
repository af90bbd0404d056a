"""The stacked networks: evaluating a subset of targets, and columns retiring from training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from impute_assets.core.config import ImputerConfig
from impute_assets.core.encoding.features import FeatureSpace
from impute_assets.core.kinds import ColumnKind
from impute_assets.core.nets import training
from impute_assets.core.nets.mlp import StackedNet, batch_tensors, width_buckets
from impute_assets.core.nets.training import TargetData, train_networks

KINDS = {
    "x": ColumnKind.NUMERIC,
    "noise": ColumnKind.NUMERIC,
    "y": ColumnKind.NUMERIC,
    "band": ColumnKind.CATEGORICAL,
    "note": ColumnKind.TEXT,
}


def mixed_frame(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """y depends on x; noise depends on nothing; band cuts x; note is text about band."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    band = np.where(x > 0.5, "high", np.where(x < -0.5, "low", "mid"))
    frame = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=rows),
            "y": 2 * x + 0.1 * rng.normal(size=rows),
            "band": band,
            "note": [f"reading {b} {i % 7}" for i, b in enumerate(band)],
        }
    )
    for column in ("x", "y", "band"):
        frame.loc[rng.random(rows) < 0.15, column] = None
    return frame


def test_a_subset_of_targets_computes_what_the_whole_stack_computes() -> None:
    frame = mixed_frame()
    space = FeatureSpace.fit(frame, KINDS, 32, 64, "ngrams")
    torch.manual_seed(0)
    net = StackedNet(space, ["x", "noise", "y", "band"], [2, 2, 2, 5], 16, 4).eval()
    batch = batch_tensors(space.encode(frame), np.arange(50), torch.device("cpu"))
    with torch.no_grad():
        whole = net(batch)
        part = net(batch, torch.tensor([3, 0]))
    assert part.shape == (50, 2, whole.shape[2])
    torch.testing.assert_close(part, whole[:, [3, 0]])


def test_a_subset_net_computes_what_its_targets_computed_in_the_whole_stack() -> None:
    frame = mixed_frame()
    space = FeatureSpace.fit(frame, KINDS, 32, 64, "ngrams")
    torch.manual_seed(0)
    net = StackedNet(space, ["x", "noise", "y", "band"], [2, 2, 2, 5], 16, 4).eval()
    part = net.subset([3, 0])
    batch = batch_tensors(space.encode(frame), np.arange(50), torch.device("cpu"))
    with torch.no_grad():
        torch.testing.assert_close(part(batch), net(batch)[:, [3, 0]])
    assert part.out_dims == [5, 2]
    for name in part.parameter_names:  # copies: training the part leaves the whole as it was
        assert getattr(part, name).data_ptr() != getattr(net, name).data_ptr()
    torch.testing.assert_close(part.target_state(0)["w3"], net.target_state(3)["w3"])


def test_a_compacted_optimizer_steps_its_targets_as_the_whole_one_did() -> None:
    frame = mixed_frame()
    space = FeatureSpace.fit(frame, KINDS, 32, 64, "ngrams")
    torch.manual_seed(0)
    net = StackedNet(space, ["x", "noise", "y", "band"], [2, 2, 2, 5], 16, 4)
    config = ImputerConfig()
    optimizers = training._optimizers(net, config)
    features = space.encode(frame)

    def step(model, optimizer_list, active=None):
        out = model(batch_tensors(features, np.arange(64), torch.device("cpu")), active)
        for optimizer in optimizer_list:
            optimizer.zero_grad()
        out[:, :, 0].pow(2).sum().backward()
        for optimizer in optimizer_list:
            optimizer.step()

    step(net, optimizers)  # moments to carry over
    part, moved = training._compacted(net, optimizers, np.array([2, 0]))
    step(net, optimizers, torch.tensor([2, 0]))
    step(part, moved)
    for name in ("w1", "w2", "b2", "w3", "cat_emb"):
        torch.testing.assert_close(getattr(part, name), getattr(net, name)[[2, 0]])


def _targets(space: FeatureSpace, frame: pd.DataFrame) -> list[TargetData]:
    rng = np.random.default_rng(0)
    out = []
    for name in ("y", "noise"):
        y = space.encoders[name].target(frame[name])
        observed = np.isfinite(y)
        holdout = observed & (rng.random(len(frame)) < 0.2)
        out.append(TargetData(name, True, 1, y, observed & ~holdout, holdout))
    return out


def test_retired_columns_keep_their_best_weights_and_do_not_change_the_others(monkeypatch) -> None:
    frame = mixed_frame(1200)
    space = FeatureSpace.fit(frame, KINDS, 32, 64, "ngrams")
    features = space.encode(frame)
    # fp32: bf16 matmuls round differently once the stacked shapes shrink, and 60 epochs
    # of training grow that into more than the tolerance below
    config = ImputerConfig(
        hidden_dim=16, embedding_dim=4, patience=2, epochs=60, seed=0, precision="fp32"
    )
    cpu = torch.device("cpu")
    monkeypatch.setattr(training, "RETIRE_AFTER", 10**6)  # every column trains to the end
    kept = train_networks(space, features, _targets(space, frame), config, cpu)
    monkeypatch.setattr(training, "RETIRE_AFTER", 1)
    retired = train_networks(space, features, _targets(space, frame), config, cpu)
    # the noise column stops improving at once and leaves while y trains on
    assert retired.best_epochs[1] < retired.best_epochs[0]
    assert retired.epochs_run == kept.epochs_run
    rows = np.arange(len(frame))
    with torch.no_grad():
        a = training.network_outputs(kept.net, features, rows, cpu, "fp32")
        b = training.network_outputs(retired.net, features, rows, cpu, "fp32")
    np.testing.assert_allclose(b[:, 0], a[:, 0], atol=1e-4)  # y: the same training
    # noise: its best weights, which were found before it retired
    assert retired.best_epochs[1] <= kept.best_epochs[1]


def test_outputs_grouped_by_width_equal_one_padded_layer() -> None:
    frame = mixed_frame()
    space = FeatureSpace.fit(frame, KINDS, 32, 64, "ngrams")
    torch.manual_seed(0)
    dims = [2, 2, 5, 3, 2]
    net = StackedNet(space, ["x", "noise", "band", "y", "note"], dims, 16, 4).eval()
    assert width_buckets(dims) == [([0, 1, 4], 2), ([3], 4), ([2], 8)]
    hidden = torch.randn(len(dims), 30, 16)
    for active in (None, torch.tensor([2, 0, 3])):
        chosen = list(range(len(dims))) if active is None else active.tolist()
        with torch.no_grad():
            out = net._outputs(hidden[chosen], active)
        padded = (torch.bmm(hidden[chosen], net.w3[chosen]) + net.b3[chosen, None]).transpose(0, 1)
        valid = net.out_valid[chosen]
        torch.testing.assert_close(out[:, valid], padded[:, valid])
        assert torch.all(out[:, ~valid] == -1e4)  # padding adds nothing to a cross-entropy


def test_held_out_losses_per_network_equal_the_stacked_pass(monkeypatch) -> None:
    frame = mixed_frame()
    space = FeatureSpace.fit(frame, KINDS, 32, 64, "ngrams")
    features = space.encode(frame)
    torch.manual_seed(0)
    net = StackedNet(space, ["x", "y", "band"], [2, 2, 5], 16, 4).eval()
    rng = np.random.default_rng(0)
    y = torch.tensor(
        np.stack(
            [
                rng.normal(size=len(frame)),
                rng.normal(size=len(frame)),
                rng.integers(0, 5, size=len(frame)),
            ],
            axis=1,
        ),
        dtype=torch.float32,
    )
    weight = torch.from_numpy((rng.random((len(frame), 3)) < 0.2).astype(np.float32))
    weight[:, 1] = 0  # a target with no held-out rows among those checked
    numeric = torch.tensor([True, True, False])
    rows = np.arange(0, len(frame), 2)
    config = ImputerConfig(precision="fp32")
    cpu = torch.device("cpu")
    for pick in (slice(None), [2, 0]):
        part = net if pick == slice(None) else net.subset(pick)
        args = (part, features, rows, numeric[pick], y[:, pick], weight[:, pick], cpu, config)
        monkeypatch.setattr(training, "SPARSE_SHARE", 0)  # one stacked pass
        stacked = training._holdout_losses(*args)
        monkeypatch.setattr(training, "SPARSE_SHARE", 10**6)  # one pass per network
        own = training._holdout_losses(*args)
        torch.testing.assert_close(own, stacked)
        expected = [True, False, True] if part is net else [True, True]
        assert torch.isfinite(own).tolist() == expected  # no rows: an infinite loss
